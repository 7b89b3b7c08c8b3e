// Every tap is answered: one path for every htmx answer that is not a success (a refusal,
// a server error, no network, no answer in time). The message appears next to the control
// (on the facilitator's dashboard: in a toast) and in a polite live region; nothing typed is
// lost (a refusal sends the form back filled in, anything else is not swapped at all); the
// control is usable again. A participant's write that could not be sent is kept by the phone's
// outbox (static/js/outbox.js marks such a request cgKeeps): without an answer, or with one that
// says "try again" (502, 503, 504), it is said to be kept, not
// lost. "No connection" goes once the network is back. Also: live character counters.
(function () {
  "use strict";
  if (!window.htmx) return;
  var strings = document.getElementById("js-strings");
  function text(name) { return (strings && strings.getAttribute("data-" + name)) || ""; }

  htmx.config.timeout = 20000;
  // htmx 2 swaps no 4xx by default. The server's refusals (422, 409, 429, 403 for a removed
  // participant) are fragments made to be swapped: the form back with what was typed and the
  // reason, the vote control with why it takes no more dots. 5xx answers are never swapped.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: true },
    { code: "...", swap: false, error: true }
  ];

  var status = document.getElementById("tap-status");
  function announce(message) {
    if (!status || !message) return;
    status.textContent = "";
    // A new text node a moment later: the same message twice is read twice.
    setTimeout(function () { status.textContent = message; }, 50);
  }

  function isFragment(xhr) {
    return !/^\s*(<!doctype|<html)/i.test(xhr.responseText || "");
  }
  function parsed(xhr) {
    return new DOMParser().parseFromString(xhr.responseText || "", "text/html");
  }

  // What went wrong, in words: the server's own message if it sent one, else by status.
  function messageOf(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    if (type.indexOf("json") !== -1) {
      try { return JSON.parse(xhr.responseText).error || text("server-error"); } catch (e) { return text("server-error"); }
    }
    if (xhr.status >= 400 && xhr.status < 500 && isFragment(xhr)) {
      var doc = parsed(xhr);
      var found = doc.querySelector("[data-refusal], .alert, .invalid-feedback");
      if (found && found.textContent.trim()) return found.textContent.trim().replace(/\s+/g, " ");
      if (type.indexOf("text/plain") !== -1 && xhr.responseText.trim()) return xhr.responseText.trim();
    }
    if (xhr.status === 403) return text("stale");
    if (xhr.status === 404 || xhr.status === 410) return text("gone");
    return text("server-error");
  }

  // The dashboard's toasts (its answers replace the region, so it is looked up each time).
  function toastRegion() { return document.querySelector(".toast-region"); }
  function toast(message, level) {
    var box = document.createElement("div");
    box.className = "toast-message alert alert-" + (level || "warning");
    var words = document.createElement("span");
    words.className = "toast-text";
    words.textContent = message;
    box.appendChild(words);
    addDismiss(box);
    toastRegion().replaceChildren(box);
    autoHide(box);
  }
  function addDismiss(box) {
    if (box.querySelector("[data-dismiss-toast]")) return;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-dismiss-toast", "");
    close.setAttribute("aria-label", text("dismiss"));
    box.appendChild(close);
  }
  // A toast goes after ten seconds, but not while the pointer or the focus is on it (the
  // moderation log keeps every action anyway).
  function autoHide(box) {
    if (box.hasAttribute("data-hiding")) return;
    box.setAttribute("data-hiding", "");
    var check = function () {
      if (!box.isConnected) return;
      if (box.matches(":hover") || box.contains(document.activeElement)) { setTimeout(check, 3000); return; }
      box.remove();
    };
    setTimeout(check, 10000);
  }
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest("[data-dismiss-toast]");
    if (close) close.closest(".toast-message").remove();
  });

  // The answer next to the control: inside the nearest element with an id around it (found
  // again by id, as the answer may have replaced it), unless the server's fragment already
  // put the reason there.
  function answerNextTo(xhr, message, swapped, mark) {
    announce(message);
    var toasts = toastRegion();
    if (toasts) {
      if (!(swapped && toasts.querySelector(".toast-message"))) toast(message, "warning");
      return;
    }
    var anchor = xhr.cgAnchorId && document.getElementById(xhr.cgAnchorId);
    if (!anchor) return;
    if (swapped && anchor.querySelector("[data-refusal], .alert, .invalid-feedback")) return;
    noteIn(anchor, message, mark);
  }
  function noteIn(anchor, message, mark) {
    var note = document.createElement("p");
    note.className = "tap-answer";
    note.setAttribute("data-tap-answer", "");
    if (mark) note.setAttribute(mark[0], mark[1]);
    note.textContent = message;
    anchor.appendChild(note);
  }

  // A write the outbox kept: said next to the control, marked with the item's key so that the
  // outbox takes the note away once the write is sent or cancelled.
  function queued(elt, key, busy) {
    // No network, or a server that said "try again" (a 503 in its words, a busy gateway).
    var message = busy === undefined ? text("kept") : (busy ? busy + " " : "") + text("kept-busy");
    var anchor = elt.closest("[id]");
    if (anchor) {
      anchor.querySelectorAll("[data-tap-answer]").forEach(function (note) { note.remove(); });
      noteIn(anchor, message, ["data-queued", key]);
    }
    announce(message);
  }
  window.cgAnswers = { text: text, announce: announce, queued: queued };

  // Back online: "No connection" is no longer true.
  window.addEventListener("online", function () {
    document.querySelectorAll("[data-tap-answer][data-network]").forEach(function (note) { note.remove(); });
  });

  function answers(detail) {
    var verb = detail.requestConfig && detail.requestConfig.verb;
    // Regions that refresh themselves (polling) answer nobody; taps do.
    return verb !== "get" || /^(A|BUTTON|FORM)$/.test(detail.elt.tagName);
  }

  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var anchor = elt.closest("[id]");
    event.detail.xhr.cgAnchorId = anchor ? anchor.id : "";
    if (anchor) anchor.querySelectorAll("[data-tap-answer]").forEach(function (note) { note.remove(); });
    // A form sent again drops the reasons of its last refusal: the answer brings new ones.
    if (elt.tagName === "FORM") {
      elt.querySelectorAll(".invalid-feedback, .alert").forEach(function (note) { note.remove(); });
      elt.querySelectorAll(".is-invalid").forEach(function (field) { field.classList.remove("is-invalid"); });
    }
  });
  // A full page (Django's 404 or CSRF page) is never swapped into a fragment's place.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && !isFragment(xhr)) event.detail.shouldSwap = false;
    if (xhr.status >= 400) xhr.cgSwapped = event.detail.shouldSwap;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail;
    var xhr = detail.xhr;
    if (!xhr || xhr.cgAnswered || !xhr.status || !answers(detail)) return; // no status: sendError, timeout
    xhr.cgAnswered = true;
    // A server that said "try again" (503, a busy gateway): in its words, and kept.
    if (xhr.cgKeeps && (xhr.status === 502 || xhr.status === 503 || xhr.status === 504)) {
      var json = (xhr.getResponseHeader("Content-Type") || "").indexOf("json") !== -1;
      queued(detail.elt, xhr.cgKeeps, json ? messageOf(xhr) : "");
      return;
    }
    if (xhr.status < 400) {
      if (detail.requestConfig.verb === "get") return;
      var said = Array.prototype.map.call(parsed(xhr).querySelectorAll("[data-announce]"), function (el) {
        return el.textContent.trim().replace(/\s+/g, " ");
      }).filter(Boolean).join(" ");
      announce(said);
      return;
    }
    answerNextTo(xhr, messageOf(xhr), !!xhr.cgSwapped);
    // After htmx has settled (20 ms), which puts the focus back and may scroll to it.
    if (xhr.cgSwapped) setTimeout(function () { showFirstError(xhr.cgAnchorId); }, 80);
  });
  // A form sent back with its reasons: the first one is brought into view, above the button
  // that rides at the bottom of a small phone's screen (it would hide what is under it).
  function showFirstError(anchorId) {
    var anchor = anchorId && document.getElementById(anchorId);
    var error = anchor && anchor.querySelector(".invalid-feedback, [data-refusal]:not(.visually-hidden), .alert:not(.visually-hidden)");
    if (!error || !error.getClientRects().length) return;
    var field = error.closest(".mb-3, fieldset, .form-group") || error;
    field.scrollIntoView({ block: "center" });
    var bar = anchor.querySelector(".form-submit, .mb-3:has(> div > [type=submit])");
    var barTop = bar && getComputedStyle(bar).position === "sticky" ? bar.getBoundingClientRect().top : window.innerHeight;
    var bottom = error.getBoundingClientRect().bottom;
    if (bottom > barTop - 8) window.scrollBy(0, bottom - barTop + 16);
  }
  document.body.addEventListener("htmx:sendError", function (event) {
    if (event.detail.xhr.cgKeeps) { queued(event.detail.elt, event.detail.xhr.cgKeeps); return; }
    if (answers(event.detail)) answerNextTo(event.detail.xhr, text("network-error"), false, ["data-network", ""]);
  });
  document.body.addEventListener("htmx:timeout", function (event) {
    if (event.detail.xhr.cgKeeps) { queued(event.detail.elt, event.detail.xhr.cgKeeps); return; }
    if (answers(event.detail)) answerNextTo(event.detail.xhr, text("timeout"), false);
  });

  // Toasts the server sent (the dashboard's answers) go by themselves too.
  document.body.addEventListener("htmx:afterSettle", function () {
    var toasts = toastRegion();
    if (!toasts) return;
    toasts.querySelectorAll(".toast-message").forEach(function (box) { addDismiss(box); autoHide(box); });
  });

  // Live character counters: "12 / 280" beside the field; screen readers hear how much is
  // left only near the end (at 20, 10 and 0), not at every key.
  function attachCounter(field) {
    var max = parseInt(field.getAttribute("maxlength"), 10);
    if (!max || field.hasAttribute("data-counted")) return;
    field.setAttribute("data-counted", "");
    var counter = document.createElement("span");
    counter.className = "char-counter small";
    counter.setAttribute("aria-hidden", "true");
    field.insertAdjacentElement("afterend", counter);
    var lastSaid = null;
    var update = function (spoken) {
      var left = max - field.value.length;
      counter.textContent = field.value.length + " / " + max;
      counter.classList.toggle("is-near", left <= 20);
      var mark = left <= 0 ? 0 : left <= 10 ? 10 : left <= 20 ? 20 : null;
      if (spoken && mark !== null && mark !== lastSaid) announce(text("chars-left").replace("%(left)s", Math.max(left, 0)));
      lastSaid = mark;
    };
    field.addEventListener("input", function () { update(true); });
    update(false);
  }
  htmx.onLoad(function (content) {
    var scope = content.querySelectorAll ? content : document;
    scope.querySelectorAll("textarea[maxlength], input[maxlength][data-counter]").forEach(attachCounter);
  });
})();

// One's own item withdrawn (a need, a mapping, a gap note): it goes from view at the tap, and
// the answer's words take its place, "Deleted: “…”.", in the list where it was. The room's push
// may take the item (and the form in it) away before the answer comes: the form waits in a
// hidden holder meanwhile, so that htmx still swaps the answer (a detached form's answer finds
// no "#flash": htmx:oobErrorNoTarget). The item is hidden rather than taken out, so the push
// that follows finds what it expects whichever arrives first; a redrawn list gets the words
// back at the same place. A refused or unsent withdrawal puts the item and its form back.
(function () {
  "use strict";
  if (!window.htmx) return;
  var places = {};
  var notes = [];
  var holder = document.createElement("div");
  holder.hidden = true;
  document.body.appendChild(holder);

  function placeOf(item) {
    var prev = item.previousElementSibling;
    var next = item.nextElementSibling;
    var around = item.parentElement && item.parentElement.closest("[id]");
    return { prev: prev && prev.id, next: next && next.id, holder: around && around.id };
  }
  function put(note) {
    if (note.element && note.element.isConnected) return;
    var item = document.getElementById(note.id);
    var place = note.place;
    var prev = place.prev && document.getElementById(place.prev);
    var next = place.next && document.getElementById(place.next);
    var around = place.holder && document.getElementById(place.holder);
    var parent, before;
    if (item && item.parentElement) { item.hidden = true; parent = item.parentElement; before = item; }
    else if (prev && prev.parentElement) { parent = prev.parentElement; before = prev.nextSibling; }
    else if (next && next.parentElement) { parent = next.parentElement; before = next; }
    else if (around) { parent = around; before = null; }
    else return;
    // An item of the list where the item was, or a paragraph where the list is gone.
    var element = document.createElement(/^(UL|OL)$/.test(parent.tagName) ? "li" : "p");
    element.className = "withdrawn-note";
    element.setAttribute("data-withdrawn-note", note.id);
    element.textContent = note.text;
    note.element = element;
    parent.insertBefore(element, before);
  }
  function collect() {
    document.querySelectorAll("#flash [data-withdrawn]").forEach(function (said) {
      var id = said.getAttribute("data-withdrawn");
      var item = document.getElementById(id);
      var place = places[id] || (item && placeOf(item));
      said.remove();
      if (!place) return;
      notes = notes.filter(function (note) { return note.id !== id; });
      notes.push({ id: id, place: place, text: said.textContent.trim(), element: null });
    });
    notes.forEach(put);
  }
  function putBack(form) {
    var home = form.cgHome;
    if (!home) return;
    form.cgHome = null;
    if (home.parent.isConnected) home.parent.insertBefore(form, home.next && home.next.parentNode === home.parent ? home.next : null);
    else form.remove();
    var item = document.getElementById(form.getAttribute("data-outbox-target"));
    if (item) item.hidden = false;
  }
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-withdraw]")) return;
    var id = form.getAttribute("data-outbox-target");
    var item = id && document.getElementById(id);
    if (!item) return;
    places[id] = placeOf(item);
    form.cgHome = { parent: form.parentNode, next: form.nextSibling };
    holder.appendChild(form);
    item.hidden = true;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-withdraw]")) return;
    if (!event.detail.successful) putBack(form);
    else { form.cgHome = null; form.remove(); }
    collect();
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.body.addEventListener(name, function (event) {
      var form = event.detail.elt;
      if (form.matches && form.matches("form[data-withdraw]")) putBack(form);
    });
  });
  ["htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage"].forEach(function (name) {
    document.body.addEventListener(name, collect);
  });
})();
