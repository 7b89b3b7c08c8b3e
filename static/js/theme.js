// Colour mode: follow the system unless the person chose light or dark on this device.
// Runs in <head> so the page never flashes the wrong mode; no inline script (CSP).
(function () {
  "use strict";
  var KEY = "cg-theme";
  var root = document.documentElement;
  // With JavaScript the phone header folds its menu behind a button (without, it stays open).
  root.classList.add("js");
  function stored() {
    try { return localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function write(key, value) { try { localStorage.setItem(key, value); } catch (e) { /* private mode */ } }
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

  // Text size (participant page control) and projector mode (board), remembered per device.
  var SIZE_KEY = "cg-text-size";
  var PROJECTOR_KEY = "cg-projector";
  function read(key) { try { return localStorage.getItem(key); } catch (e) { return null; } }
  function applySize(size) {
    ["text-125", "text-150", "text-200"].forEach(function (name) { root.classList.remove(name); });
    if (size && size !== "100") root.classList.add("text-" + size);
    document.querySelectorAll("[data-text-size]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.getAttribute("data-text-size") === (size || "100") ? "true" : "false");
    });
  }
  function applyProjector(on) {
    root.classList.toggle("projector", on);
    // Projector mode is light text on black, whatever the device's colour mode.
    if (on) root.setAttribute("data-bs-theme", "dark"); else apply(preferred());
    document.querySelectorAll("[data-projector-toggle]").forEach(function (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }
  applySize(read(SIZE_KEY));
  applyProjector(read(PROJECTOR_KEY) === "on" || /[?&]projector=1\b/.test(location.search));

  // One delegated listener, attached at once: a tap before the page finished loading counts.
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : event.target.parentElement;
    var themeButton = target && target.closest("[data-theme-toggle]");
    var sizeButton = target && target.closest("[data-text-size]");
    var projectorButton = target && target.closest("[data-projector-toggle]");
    var menuButton = target && target.closest("[data-site-menu-toggle]");
    if (menuButton) {
      setMenu(menuButton, menuButton.getAttribute("aria-expanded") !== "true");
    } else if (themeButton) {
      var next = root.getAttribute("data-bs-theme") === "dark" ? "light" : "dark";
      write(KEY, next);
      apply(next);
    } else if (sizeButton) {
      write(SIZE_KEY, sizeButton.getAttribute("data-text-size"));
      applySize(sizeButton.getAttribute("data-text-size"));
    } else if (projectorButton) {
      var on = !root.classList.contains("projector");
      write(PROJECTOR_KEY, on ? "on" : "off");
      applyProjector(on);
    }
  });
  // The phone header's menu: a disclosure button; Escape closes it and returns to the button.
  function setMenu(button, open) {
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    if (!menu) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector('[data-site-menu-toggle][aria-expanded="true"]');
    var menu = button && document.getElementById(button.getAttribute("aria-controls"));
    if (menu && menu.contains(document.activeElement)) {
      setMenu(button, false);
      button.focus();
    }
  });
  // Buttons exist only once the body is parsed: set their pressed state then.
  document.addEventListener("DOMContentLoaded", function () {
    apply(root.classList.contains("projector") ? "dark" : preferred());
    applySize(read(SIZE_KEY));
    applyProjector(root.classList.contains("projector"));
  });
})();
