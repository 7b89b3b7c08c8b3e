// Strategy picker: type to narrow the list of strategies (all stay listed without JavaScript),
// and, on the session page, the picker opened in place: a tap on a "map" link (data-picker-
// link) asks for the picker alone (HX-Request) and puts it in #map-picker-slot, without a page
// load. Without the slot, or if the request fails, the link opens the picker's own page.
(function () {
  "use strict";
  // Compared without accents or case: "theorisation" finds "Théorisation", as people type on a
  // phone's keyboard, in French or in English.
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("[data-filter-target]")) return;
    var container = document.querySelector(input.getAttribute("data-filter-target"));
    if (!container) return;
    var terms = fold(input.value).split(/\s+/).filter(Boolean);
    container.querySelectorAll("[data-filter-text]").forEach(function (option) {
      if (option.cgFolded === undefined) option.cgFolded = fold(option.getAttribute("data-filter-text"));
      var text = option.cgFolded;
      var checked = option.querySelector("input:checked");
      option.hidden = !checked && !terms.every(function (term) { return text.indexOf(term) !== -1; });
    });
    container.querySelectorAll("fieldset").forEach(function (group) {
      group.hidden = !group.querySelector("[data-filter-text]:not([hidden])");
    });
  });

  // Asked for as the finger lands (pointerdown comes ~100 ms before the click on a phone).
  var asked = {};
  function ask(href) {
    if (!asked[href]) {
      asked[href] = fetch(href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        });
      // Used once: the next opening asks again (the picker shows what is already mapped).
      asked[href].then(forget, forget);
    }
    return asked[href];
    function forget() { setTimeout(function () { delete asked[href]; }, 2000); }
  }
  document.addEventListener("pointerdown", function (event) {
    var link = event.target.closest && event.target.closest("a[data-picker-link]");
    if (link && document.getElementById("map-picker-slot") && window.fetch) ask(link.href).catch(function () {});
  });

  var opening = null;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-picker-link]");
    var slot = document.getElementById("map-picker-slot");
    if (!link || !slot || !window.htmx || !window.fetch) return;
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    var href = link.href;
    if (opening === href) return;
    opening = href;
    link.setAttribute("aria-busy", "true");
    ask(href)
      .then(function (html) {
        delete asked[href];
        htmx.swap(slot, html, { swapStyle: "innerHTML" });
        slot.hidden = false;
        document.querySelectorAll("[data-picker-hides]").forEach(function (el) { el.hidden = true; });
        var title = document.getElementById("picker-title");
        slot.scrollIntoView({ block: "start" });
        if (title) title.focus({ preventScroll: true });
      })
      .catch(function () { window.location.href = href; })
      .finally(function () { opening = null; link.removeAttribute("aria-busy"); });
  });
})();
