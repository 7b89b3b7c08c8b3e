// Colour mode: follow the system unless the person chose light or dark on this device.
// Runs in <head> so the page never flashes the wrong mode; no inline script (CSP).
(function () {
  "use strict";
  var KEY = "cg-theme";
  var root = document.documentElement;
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function preferred() {
    var choice = stored();
    if (choice === "light" || choice === "dark") return choice;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function apply(mode) {
    root.setAttribute("data-bs-theme", mode);
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", mode === "dark" ? "true" : "false");
    });
  }
  apply(preferred());
  document.addEventListener("DOMContentLoaded", function () {
    apply(preferred());
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.addEventListener("click", function () {
        var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
        try { localStorage.setItem(KEY, next); } catch (e) { /* private mode: session only */ }
        apply(next);
      });
    });
  });
})();
