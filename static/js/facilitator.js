// Facilitator dashboard: keyboard shortcuts for the phase and timer controls (listed on the
// page), and live refreshes of its regions.
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
  // Regions refresh by polling (another facilitator may act too), but a poll must never undo
  // what this person just did or is doing: no poll while focus is inside the region or an
  // action is under way, and a poll answer that started before an action ended is dropped.
  var actionsInFlight = 0;
  var actionsDone = 0;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb !== "get") { actionsInFlight += 1; return; }
    var region = event.detail.elt;
    var focused = document.activeElement && document.activeElement !== document.body && region.contains(document.activeElement);
    if (actionsInFlight > 0 || focused) { event.preventDefault(); return; }
    event.detail.xhr.cgActionsDone = actionsDone;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb && verb !== "get") { actionsInFlight = Math.max(0, actionsInFlight - 1); actionsDone += 1; }
  });
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.cgActionsDone === undefined) return;
    var region = event.detail.elt;
    var focused = document.activeElement && document.activeElement !== document.body && region.contains(document.activeElement);
    if (focused || xhr.cgActionsDone !== actionsDone || actionsInFlight > 0) {
      event.detail.shouldSwap = false;
    }
  });
  // The board's socket says when anything changed: refresh the regions (through the queue
  // above) instead of swapping the board's fragments, which this page does not have.
  var live = document.getElementById("dashboard-live");
  if (live) {
    live.addEventListener("htmx:wsBeforeMessage", function (event) {
      event.preventDefault();
      ["controls", "overview", "moderation"].forEach(function (id) {
        var region = document.getElementById(id);
        if (region) htmx.trigger(region, "live-refresh");
      });
    });
  }
})();
