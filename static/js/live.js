// Live pages (board and participant): WebSocket updates through htmx's ws extension, with
// sequence numbers to catch up after a drop, polling when there is no socket, and a countdown.
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root) return;
  var POLL_MS = 5000;
  var socketOpen = false;
  var status = document.getElementById("connection-status");

  function currentSeq() {
    var marker = document.getElementById("live-seq");
    return marker ? parseInt(marker.getAttribute("data-seq"), 10) || 0 : 0;
  }

  function setStatus(kind) {
    if (!status) return;
    var text = status.getAttribute("data-" + kind + "-text");
    if (text && status.textContent !== text) status.textContent = text;
    status.setAttribute("data-state", kind);
  }

  // After (re)connecting, say which update we last saw; the server sends a snapshot if we
  // missed anything. Back from a drop (a reconnect, or the network returning with the socket
  // still open), ask for the whole state: a push lost on the way leaves a screen behind with
  // a sequence number that later pushes moved on, which "since" alone does not reveal. A
  // socket that answers nothing to that is dead even if it looks open: it is replaced. (Both
  // seen in tests/chaos/test_phones_on_wifi.py: 30 phones whose network drops every ~10 s.)
  var socket = null;      // htmx's interface to the socket that is open now
  var rawSocket = null;   // that socket itself: a close from an older one is not ours
  var opened = false;
  var sentOnSocket = 0;
  var watchdog = null;
  var SERVER_TAKES_AT_MOST = 40; // messages per connection (sessions/live/consumers.py: 50)
  var SILENT_SOCKET_MS = 8000;
  function resume(whole) {
    if (!socket) return;
    if (sentOnSocket >= SERVER_TAKES_AT_MOST) { socket.reconnect(); return; }
    sentOnSocket += 1;
    socket.send(JSON.stringify({ type: "resume", since: currentSeq(), whole: whole }));
    if (whole) {
      clearTimeout(watchdog);
      watchdog = setTimeout(function () { if (socketOpen && socket) socket.reconnect(); }, SILENT_SOCKET_MS);
    }
  }
  root.addEventListener("htmx:wsOpen", function (event) {
    socketOpen = true;
    setStatus("live");
    socket = event.detail.socketWrapper;
    rawSocket = event.detail.event && event.detail.event.target;
    sentOnSocket = 0;
    resume(opened);
    opened = true;
  });
  root.addEventListener("htmx:wsClose", function (event) {
    var closed = event.detail && event.detail.event && event.detail.event.target;
    if (stopped || (closed && rawSocket && closed !== rawSocket)) return;
    socketOpen = false;
    setStatus(navigator.onLine === false ? "offline" : "polling");
  });
  root.addEventListener("htmx:wsAfterMessage", function () { clearTimeout(watchdog); });
  root.addEventListener("htmx:wsAfterMessage", afterUpdate);

  // New cards arrive as "append to the list"; when the card is already there (our own post,
  // or a snapshot that raced the update) replace it instead, keeping this viewer's own parts
  // (hx-preserve). A need of ours that a facilitator approved moves from "waiting" to the list.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var wrapper = event.detail.fragment;
    if (!(wrapper instanceof Element) || !wrapper.hasAttribute("data-upsert")) return;
    var card = wrapper.firstElementChild;
    var existing = card && card.id ? document.getElementById(card.id) : null;
    if (existing) {
      event.detail.shouldSwap = false;
      var list = event.detail.target;
      if (list && !list.contains(existing)) list.appendChild(existing);
      htmx.swap(existing, card.outerHTML, { swapStyle: "outerHTML" });
    }
  });

  // Screen readers hear a summary at most every 15 seconds (a phase change at once).
  var ANNOUNCE_MS = 15000;
  var lastAnnounced = 0;
  var pendingText = "";
  var announceTimer = null;
  function announce() {
    var announcer = document.getElementById("live-announcer");
    if (announcer && pendingText) {
      announcer.textContent = pendingText.trim();
      lastAnnounced = Date.now();
    }
    pendingText = "";
    announceTimer = null;
  }
  function queueAnnouncement() {
    var summary = document.getElementById("live-summary");
    if (!summary) return;
    var text = summary.getAttribute("data-text") || "";
    if (!text.trim()) return;
    if (pendingText.indexOf(text) === -1) pendingText += " " + text;
    var wait = summary.getAttribute("data-phase-changed") === "true" ? 0 : Math.max(0, lastAnnounced + ANNOUNCE_MS - Date.now());
    if (announceTimer) clearTimeout(announceTimer);
    announceTimer = setTimeout(announce, wait);
  }

  function afterUpdate() {
    if (removedHere()) return;
    syncVoting();
    queueAnnouncement();
    var marker = document.getElementById("live-seq");
    var bodyMode = document.body.getAttribute("data-mode");
    if (marker && bodyMode && marker.getAttribute("data-mode") !== bodyMode) {
      modeChanged(marker.getAttribute("data-mode"));
    }
  }

  // A new phase, or input locked or unlocked, changes what a participant can do: reload,
  // unless they are typing (then offer the reload, so nothing typed is lost). A reload that
  // brought the old phase back (a server too slow to answer within the service worker's wait
  // gets the page as last seen: static/js/offline-worker.js) is not repeated at once, which
  // would only ask the busy server again: the notice offers it instead.
  var RELOAD_AGAIN_AFTER_MS = 20000;
  function modeChanged(mode) {
    var notice = document.getElementById("phase-changed-notice");
    if (!notice) { document.body.setAttribute("data-mode", mode); return; }
    var typing = Array.prototype.some.call(document.querySelectorAll("textarea, input[type=text]"), function (el) {
      return el.value.trim() !== "";
    });
    var last = {};
    try { last = JSON.parse(sessionStorage.getItem("cg-mode-reload") || "{}"); } catch (e) { /* private mode */ }
    var again = last.mode === mode && Date.now() - last.at < RELOAD_AGAIN_AFTER_MS;
    if (typing || again) { notice.hidden = false; return; }
    try { sessionStorage.setItem("cg-mode-reload", JSON.stringify({ mode: mode, at: Date.now() })); } catch (e) { /* private mode */ }
    window.location.reload();
  }

  // A facilitator removed this participant: the page says so calmly and stops offering
  // actions (no socket, no polling); a reload shows the same (sessions/views/removal.py).
  var stopped = false;
  function removedHere() {
    var me = document.body.getAttribute("data-me");
    var signal = document.getElementById("live-removed");
    var people = signal ? (signal.getAttribute("data-people") || "").split(" ") : [];
    if (!me || people.indexOf(me) === -1) return false;
    var notice = document.getElementById("removed-notice");
    stopped = true;
    // Nothing of this session stays on the phone (static/js/outbox.js).
    document.dispatchEvent(new CustomEvent("cg:removed"));
    // Swapped by htmx, so that it closes the socket of the element it replaces.
    htmx.swap(root, notice ? notice.innerHTML : "", { swapStyle: "outerHTML" });
    var heading = document.getElementById("removed-title");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    return true;
  }

  // Pushes know nobody's budget: once this phone's budget is spent, its other "Add a dot"
  // buttons are disabled here, with the reason (the server rendered the cap and the lock).
  function syncVoting() {
    var budget = document.getElementById("dot-budget");
    if (!budget) return;
    var spent = parseInt(budget.getAttribute("data-left"), 10) <= 0;
    var why = budget.getAttribute("data-why-spent") || "";
    document.querySelectorAll(".vote-control").forEach(function (control) {
      var add = control.querySelector(".vote-add");
      var reason = control.querySelector(".vote-why");
      if (!add || (add.getAttribute("data-blocked") && add.getAttribute("data-blocked") !== "spent")) return;
      add.disabled = spent;
      if (reason && !reason.hasAttribute("data-refusal")) reason.textContent = spent ? why : "";
    });
  }
  document.body.addEventListener("htmx:afterSettle", syncVoting);

  // Polling fallback: without an open socket, ask for the state whenever we are behind.
  var liveUrl = root.getAttribute("data-live-url");
  function poll() {
    if (stopped || socketOpen || !liveUrl || document.hidden) return;
    fetch(liveUrl + "&since=" + currentSeq(), { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) {
        if (response.status === 200) return response.text();
        // No longer a participant (removed by a facilitator): the reload says so calmly.
        if (response.status === 403 && document.body.getAttribute("data-me")) window.location.reload();
        return null;
      })
      .then(function (html) {
        if (html) {
          var sink = document.createElement("div");
          sink.hidden = true;
          document.body.appendChild(sink);
          htmx.swap(sink, html, { swapStyle: "innerHTML" });
          sink.remove();
          afterUpdate();
        }
        if (!socketOpen) setStatus("polling");
      })
      .catch(function () { setStatus("offline"); });
  }
  setInterval(poll, POLL_MS);
  setTimeout(function () { if (!socketOpen) poll(); }, 2500);
  // The whole state a while after the network returns, at a random moment between 2 and 5 s:
  // a room of phones back from the same drop does not ask all at once, and what their
  // outboxes sent has been pushed by then, so that most ask at the same sequence number (the
  // server renders one snapshot per sequence for all who ask).
  window.addEventListener("online", function () {
    if (socketOpen) {
      setStatus("live");
      setTimeout(function () { if (socketOpen) resume(true); }, 2000 + Math.random() * 3000);
    } else {
      setStatus("polling");
      poll();
    }
  });
  window.addEventListener("offline", function () { setStatus("offline"); });

  syncVoting();
})();
