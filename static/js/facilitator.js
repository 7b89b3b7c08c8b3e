// Facilitator dashboard: keyboard shortcuts for the phase and timer controls (listed on the
// page), and the running countdown.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.closest("input, textarea, select, [contenteditable]")) return;
    var key = event.key.toLowerCase();
    var button = document.querySelector('[data-shortcut="' + (key === "=" ? "+" : key) + '"]:not([disabled])');
    if (button) {
      event.preventDefault();
      button.click();
    }
  });
  // Regions refresh by polling (another facilitator may act too), but never while the person
  // here has focus inside one: that would wipe what they are typing or choosing.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var region = event.detail.elt;
    if (event.detail.requestConfig && event.detail.requestConfig.verb === "get" &&
        region.id && region.contains(document.activeElement) && document.activeElement !== document.body) {
      event.preventDefault();
    }
  });
  setInterval(function () {
    document.querySelectorAll("[data-ends-at]").forEach(function (timer) {
      var left = Math.max(0, Math.round((Date.parse(timer.getAttribute("data-ends-at")) - Date.now()) / 1000));
      var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (timer.textContent !== text) timer.textContent = text;
    });
  }, 1000);
})();
