// On a narrow phone with large text, the phase's prompt folds to two lines (app.css, the
// .is-folded class) so that the phase's action stays on the first screen; a button under it
// opens the whole prompt. Where the prompt fits, or the screen is wide, nothing folds. Made
// again when a push replaces the phase banner, the screen turns or the text size changes.
(function () {
  "use strict";
  var strings = document.getElementById("js-strings");
  function text(name) { return (strings && strings.getAttribute("data-" + name)) || ""; }
  var opened = false;  // once opened, a prompt stays open across pushes until folded again

  function fold(prompt) {
    var button = prompt.nextElementSibling;
    if (button && !button.classList.contains("prompt-toggle")) button = null;
    // Folded only if two lines hide something; measured folded, whatever is shown now.
    prompt.classList.add("is-folded");
    var hides = prompt.scrollHeight > prompt.clientHeight + 1;
    if (!hides) {
      prompt.classList.remove("is-folded");
      if (button) button.remove();
      return;
    }
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link prompt-toggle";
      button.setAttribute("aria-controls", prompt.id);
      button.addEventListener("click", function () {
        opened = !opened;
        show(prompt, button);
      });
      prompt.after(button);
    }
    show(prompt, button);
  }

  function show(prompt, button) {
    prompt.classList.toggle("is-folded", !opened);
    button.setAttribute("aria-expanded", opened ? "true" : "false");
    button.textContent = opened ? text("fold-prompt") : text("show-prompt");
  }

  function run() {
    document.querySelectorAll(".participant-page .phase-prompt").forEach(function (prompt) {
      if (!prompt.textContent.trim()) return;
      prompt.id = prompt.id || "phase-prompt";
      fold(prompt);
    });
  }

  run();
  // Only a swap that brings a prompt (the phase banner): the many live pushes that do not
  // would each force a layout to measure it.
  if (window.htmx) {
    htmx.onLoad(function (content) {
      if (content.matches && (content.matches(".phase-prompt") || content.querySelector(".phase-prompt"))) run();
    });
  }
  window.addEventListener("resize", run);
  new MutationObserver(run).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
})();
