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
  var changesSeen = 0;
  // A region the room keeps changing (every vote of a plenary) is asked for again only once
  // COST_RATIO times its last answer's time has passed since that answer: a region that takes
  // the server 400 ms (the moderation list of a large session) is redrawn every 2 s rather
  // than back to back, while a cheap one (10 ms) follows at once. A slower server stretches
  // the wait by itself.
  var COST_RATIO = 4;
  var answered = {};  // region id: {at: when its last answer came, took: how long it took}
  var waiting = {};  // region id: the timer of its next refresh
  function refresh(id) {
    if (waiting[id]) return;  // already due: it will read this change too
    var last = answered[id];
    var wait = last ? last.took * COST_RATIO - (performance.now() - last.at) : 0;
    if (wait <= 0) {
      var region = document.getElementById(id);
      if (region) htmx.trigger(region, "live-refresh");
      return;
    }
    waiting[id] = setTimeout(function () {
      delete waiting[id];
      refresh(id);
    }, wait);
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb !== "get") { actionsInFlight += 1; return; }
    var region = event.detail.elt;
    var focused = document.activeElement && document.activeElement !== document.body && region.contains(document.activeElement);
    if (actionsInFlight > 0 || focused) { event.preventDefault(); return; }
    event.detail.xhr.cgActionsDone = actionsDone;
    event.detail.xhr.cgChangesSeen = changesSeen;
    event.detail.xhr.cgRegionId = region.id;
    event.detail.xhr.cgStarted = performance.now();
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var verb = event.detail.requestConfig && event.detail.requestConfig.verb;
    if (verb && verb !== "get") { actionsInFlight = Math.max(0, actionsInFlight - 1); actionsDone += 1; }
    var xhr = event.detail.xhr;
    if (xhr && xhr.cgStarted !== undefined) {
      var now = performance.now();
      answered[xhr.cgRegionId] = { at: now, took: now - xhr.cgStarted };
    }
  });
  // A change announced while a region's request was on its way may be missing from the answer,
  // and a trigger sent to the fresh region before htmx has settled it is lost: ask again once
  // it has settled.
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.cgChangesSeen === undefined || xhr.cgChangesSeen === changesSeen) return;
    xhr.cgChangesSeen = changesSeen;
    refresh(xhr.cgRegionId);
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
  // A control answers with its regions out of band. When the control's own region was
  // replaced while its request was on its way (two quick clicks), htmx looks for the targets
  // inside the detached old region, finds none and drops the answer: put it on the page.
  document.body.addEventListener("htmx:oobErrorNoTarget", function (event) {
    var fragment = event.detail.content;
    if (!fragment || !fragment.id || !document.getElementById(fragment.id)) return;
    var copy = fragment.cloneNode(true);
    copy.setAttribute("hx-swap-oob", fragment.getAttribute("hx-swap-oob") || "true");
    htmx.swap(document.body, copy.outerHTML, { swapStyle: "none" });
  });
  // Nor may another control's answer wipe what this person is typing or choosing in a region
  // (say the timer's minutes): that region keeps its form and refreshes once they leave it.
  var REGIONS = ["controls", "door", "presenting", "overview", "moderation"];
  var staleRegions = {};
  function editingIn(region) {
    var active = document.activeElement;
    return !!active && region.contains(active) && active.matches("input, select, textarea");
  }
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var region = event.detail.target;
    if (region && REGIONS.indexOf(region.id) !== -1 && editingIn(region)) {
      event.detail.shouldSwap = false;
      staleRegions[region.id] = true;
    }
  });
  document.body.addEventListener("focusout", function () {
    setTimeout(function () {
      Object.keys(staleRegions).forEach(function (id) {
        var region = document.getElementById(id);
        // The refresh waits until focus has left the region (the rule for polls above).
        if (region && !region.contains(document.activeElement)) {
          delete staleRegions[id];
          htmx.trigger(region, "live-refresh");
        }
      });
    }, 0);
  });
  // The board's socket says when anything changed: refresh the regions (through the queue
  // above) instead of swapping the board's fragments, which this page does not have.
  var live = document.getElementById("dashboard-live");
  if (live) {
    var refreshRegions = function () {
      changesSeen += 1;
      REGIONS.forEach(refresh);
    };
    live.addEventListener("htmx:wsBeforeMessage", function (event) {
      event.preventDefault();
      refreshRegions();
    });
    // A change made while the socket was still connecting (or down) reached no one here:
    // catch up each time the socket opens.
    live.addEventListener("htmx:wsOpen", refreshRegions);
  }
})();
