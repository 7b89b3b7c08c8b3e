// The phone's outbox on the participant pages: every write a participant makes (post, edit and
// delete a need, map, add and take back a dot, note a gap, delete a mapping or a gap note) that
// cannot reach the server is kept on the phone (static/js/outbox-store.js) and sent by itself
// when the network returns, in the order made, each with its key so that it is stored once.
//
// Online, with nothing waiting, htmx sends a write as it always did; this script gives the
// request its key, and keeps the write if no answer comes (no network, no answer in time, a
// gateway that says try again). Offline, or while earlier writes wait, a new write waits behind
// them. The forms of their own pages (the strategy picker, editing a need, the gap page) are
// sent through the outbox; once stored, the phone goes back to the session page.
//
// Said in words, next to each item: "Waiting to send" where the item is (the new need's card
// in the list, the dot under its button, the deletion on the card), a count of what waits kept
// in view at the top, a polite announcement when items are sent, and, for a write the server
// refused when it was sent again (the phase moved on, the budget is spent, input is paused),
// the reason next to the item with the text to copy. Each waiting item can be cancelled.
//
// Sent again on: the network returning, the live socket reconnecting, the page becoming
// visible, the next page load, and Background Sync where the browser has it (the service
// worker, sessions/views/offline.py, registered here in a secure context).
(function () {
  "use strict";
  // The chaos run's baseline (tests/chaos/test_phones_on_wifi.py) turns the outbox off for
  // that run only, from the browser, before the page loads.
  if (window.CG_OUTBOX_OFF) return;
  var Store = window.CGOutboxStore;
  var config = document.getElementById("outbox-strings");
  if (!Store || !config || !window.htmx) return;
  var session = config.getAttribute("data-session");
  var answers = window.cgAnswers || { text: function () { return ""; }, announce: function () {}, queued: function () {} };

  function t(name) { return config.getAttribute("data-" + name) || ""; }
  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (whole, name) { return values[name] == null ? "" : values[name]; });
  }

  var items = [];        // this session's items, oldest first: what the store holds
  var madeHere = {};     // keys of the items made on this page since it loaded
  // Writes htmx is sending from this page right now are kept too, before they go (marked
  // with this page's id, and not shown): if the page goes away before the answer comes (a
  // phase change reloads it, the person leaves), the next page sends them again, and their
  // key makes that harmless.
  var pageId = Store.newKey();
  var leaving = false;
  window.addEventListener("pagehide", function () { leaving = true; });
  var flushing = null;
  var flushAgain = false;
  var retryTimer = null;
  var retryDelay = 1000;
  var goAfterFlush = null;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (e) { return ""; }
  }
  function inFlightHere(item) { return item.live === pageId; }
  function waitingItems() {
    return items.filter(function (item) { return item.state !== "refused" && !inFlightHere(item); });
  }
  function refusedItems() { return items.filter(function (item) { return item.state === "refused"; }); }

  // --- words ---------------------------------------------------------------------------------

  function label(item) {
    var fields = item.fields || {};
    var name = item.kind === "vote" ? (fields.action === "remove" ? "vote-remove" : "vote-add") : item.kind;
    return fill(t("label-" + name), { text: fields.text || item.about, strategies: fields.strategies || "" });
  }
  // What the person may want back from a write that was not sent: what they typed.
  function copyText(item) {
    var fields = item.fields || {};
    if (fields.text && (item.kind === "post" || item.kind === "edit" || item.kind === "gap")) {
      return fields.context ? fields.text + "\n" + fields.context : fields.text;
    }
    return label(item);
  }
  function reasonOf(item) {
    if (item.reason) return item.reason;
    if (item.answer) {
      var found = new DOMParser().parseFromString(item.answer, "text/html")
        .querySelector("[data-refusal], .alert-warning, .alert-danger, .invalid-feedback");
      if (found && found.textContent.trim()) return found.textContent.trim().replace(/\s+/g, " ");
    }
    if (item.why === "left" || item.why === "removed") return t(item.why);
    if (item.why) return answers.text(item.why) || t("refused-generic");
    return t("refused-generic");
  }

  // --- making an item ------------------------------------------------------------------------

  function fieldsOf(form, params) {
    var fields = {};
    ["text", "context", "action"].forEach(function (name) {
      if (params.get(name)) fields[name] = params.get(name);
    });
    if (form.getAttribute("data-outbox") === "map") {
      fields.strategies = Array.prototype.map.call(form.querySelectorAll("[name=strategies]:checked"), function (box) {
        var named = form.querySelector("label[for='" + box.id + "'] strong");
        return named ? named.textContent.trim() : box.value;
      }).join(", ");
    }
    return fields;
  }

  function makeItem(form, params, key, seq) {
    params.delete("csrfmiddlewaretoken");
    return {
      key: key,
      session: session,
      seq: seq || Store.nextSeq(),
      created: Date.now(),
      kind: form.getAttribute("data-outbox"),
      url: form.getAttribute("hx-post") || form.getAttribute("action"),
      body: params.toString(),
      target: form.getAttribute("data-outbox-target") || "",
      about: form.getAttribute("data-outbox-about") || "",
      then: form.getAttribute("data-outbox-then") || "",
      origin: location.pathname,
      fields: fieldsOf(form, params),
      state: "waiting",
      attempts: 0,
      csrf: csrf()
    };
  }

  function keep(item) {
    if (items.some(function (other) { return other.key === item.key; })) return Promise.resolve(false);
    items.push(item);
    items = Store.inOrder(items);
    madeHere[item.key] = true;
    render();
    return Store.put(item).then(function () {
      tellOtherTabs();
      askForBackgroundSync();
      return true;
    }, function () { return true; });
  }

  // A form whose write was kept is ready for the next one: a new need is typed into an empty
  // form with a new key (the kept one is in the list, with its text).
  function readyForNext(form) {
    var kind = form.getAttribute("data-outbox");
    if (kind !== "post" && kind !== "gap") return;
    form.querySelectorAll("textarea, input[type=text]").forEach(function (field) {
      field.value = "";
      field.dispatchEvent(new Event("input"));
    });
    var key = form.querySelector("[name=submission_id], [name=client_key]");
    if (key) key.value = Store.newKey();
  }

  function holding() {
    return navigator.onLine === false || !!flushing || waitingItems().length > 0;
  }

  // --- htmx writes ---------------------------------------------------------------------------

  function outboxForm(elt) {
    var form = elt && elt.closest ? elt.closest("form[data-outbox]") : null;
    return form && form.hasAttribute("hx-post") ? form : null;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var form = outboxForm(event.detail.elt);
    if (!form || event.detail.verb !== "post") return;
    var key;
    if (form.getAttribute("data-outbox") === "post") {
      // The need form's submission id is its key (sessions/forms.py: NewNeedForm).
      key = event.detail.parameters.submission_id || Store.newKey();
      event.detail.parameters.submission_id = key;
    } else {
      key = Store.newKey(); // each tap its own key: two taps on "Add a dot" are two dots
      event.detail.parameters.client_key = key;
    }
    var params = new URLSearchParams();
    event.detail.formData.forEach(function (value, name) { params.append(name, value); });
    var item = makeItem(form, params, key);
    if (holding()) {
      event.preventDefault();
      keep(item);
      answers.queued(form, key);
      readyForNext(form);
      flushSoon();
      return;
    }
    item.state = "sending";
    item.live = pageId;
    form.cgOutboxItem = item;
    items.push(item);
    items = Store.inOrder(items);
    Store.put(item).catch(function () { /* kept in this page only */ });
  }, true);

  // The request's own end (load, error, timeout, abort), whatever became of the form: an
  // answer often replaces the form that asked (a dot's control), and htmx's events then reach
  // the page from elsewhere, or not at all.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = outboxForm(event.detail.elt);
    var item = form && form.cgOutboxItem;
    if (!item) return;
    form.cgOutboxItem = null;
    var xhr = event.detail.xhr;
    xhr.cgKeeps = item.key; // static/js/answers.js: "kept on this phone" if no answer comes
    xhr.addEventListener("loadend", function () {
      var status = xhr.status;
      if (status && status !== 502 && status !== 503 && status !== 504) {
        // Answered (stored, or refused in place as it always was): nothing to send again.
        items = items.filter(function (other) { return other.key !== item.key; });
        Store.remove(item.key).catch(function () {});
        return;
      }
      // Going away: the next page sends it (it is kept, marked as this page's).
      if (!status && leaving) return;
      item.state = "waiting";
      delete item.live;
      madeHere[item.key] = true;
      Store.put(item).then(function () { tellOtherTabs(); askForBackgroundSync(); }, function () {});
      update(item);
      readyForNext(form);
      scheduleRetry();
    });
  }, true);

  // --- forms of their own pages --------------------------------------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox]") || form.hasAttribute("hx-post") || event.defaultPrevented) return;
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    var params = new URLSearchParams(data);
    var key = params.get("client_key") || Store.newKey();
    params.set("client_key", key);
    var item = makeItem(form, params, key);
    keep(item).then(function (added) {
      if (!added) { answers.announce(t("already")); return; }
      if (holding() && navigator.onLine === false) answers.queued(form, key);
      flushSoon();
    });
  }, true);

  // --- sending -------------------------------------------------------------------------------

  // An answer to a write sent again: the parts that change the page as they would have on the
  // first try (the new card, the dots, the gaps), not the form (which holds what is being typed
  // now) nor the flash (the outbox says what was sent).
  function apply(answerText) {
    var holder = document.createElement("template");
    holder.innerHTML = answerText || "";
    holder.content.querySelectorAll("#need-form-region, #gap-form-region, #flash").forEach(function (el) { el.remove(); });
    var html = holder.innerHTML.trim();
    if (!html) return;
    var sink = document.createElement("div");
    sink.hidden = true;
    document.body.appendChild(sink);
    try { htmx.swap(sink, html, { swapStyle: "innerHTML" }); } finally { sink.remove(); }
  }
  function saidIn(answerText) {
    var doc = new DOMParser().parseFromString(answerText || "", "text/html");
    var flash = doc.querySelector("#flash [data-announce]") || doc.querySelector("[data-announce]");
    return flash ? flash.textContent.trim().replace(/\s+/g, " ") : "";
  }

  function formOnThisPage(item) {
    return Array.prototype.find.call(document.querySelectorAll("form[data-outbox]:not([hx-post])"), function (form) {
      return form.getAttribute("action") === item.url;
    });
  }

  var hooks = {
    csrf: null,
    skip: inFlightHere,
    sending: function (item) { update(item); },
    sent: function (item, result) {
      forget(item.key);
      if (item.then && item.origin === location.pathname) {
        // Made on this page (the picker, the edit page): back to the session page, which
        // says what was done.
        goAfterFlush = item.then;
        try { sessionStorage.setItem("commonground-outbox-said", saidIn(result.text)); } catch (e) { /* private mode */ }
      } else {
        apply(result.text);
      }
    },
    refused: function (item) {
      var form = madeHere[item.key] && formOnThisPage(item);
      if (form) {
        // Refused while the person is on its page, as they sent it: the page answers as it
        // always did, with the form and its reason (the key was not used: nothing stored).
        forget(item.key);
        Store.remove(item.key).then(function () { HTMLFormElement.prototype.submit.call(form); });
        return;
      }
      update(item);
    },
    waiting: function (item) { update(item); }
  };

  function update(item) {
    var known = items.some(function (other) { return other.key === item.key; });
    items = known ? items.map(function (other) { return other.key === item.key ? item : other; }) : Store.inOrder(items.concat([item]));
    render();
  }
  function forget(key) {
    items = items.filter(function (other) { return other.key !== key; });
    document.querySelectorAll("[data-queued='" + key + "']").forEach(function (note) { note.remove(); });
    render();
  }

  function flushSoon() {
    if (navigator.onLine === false) return;
    if (flushing) { flushAgain = true; return; }
    if (!waitingItems().length) return;
    clearTimeout(retryTimer);
    hooks.csrf = csrf();
    flushing = Store.flush(session, hooks).then(function (summary) {
      flushing = null;
      afterFlush(summary);
    }, function () {
      flushing = null;
      scheduleRetry();
    });
  }

  function afterFlush(summary) {
    if (summary.sent.length === 1) answers.announce(fill(t("sent-one"), { what: label(summary.sent[0]) }));
    else if (summary.sent.length > 1) answers.announce(fill(t("sent-many"), { n: summary.sent.length }));
    summary.refused.forEach(function (item) {
      if (items.some(function (other) { return other.key === item.key; })) {
        answers.announce(fill(t("refused-said"), { what: label(item), reason: reasonOf(item) }));
      }
    });
    if (summary.sent.length) retryDelay = 1000;
    if (goAfterFlush) { var to = goAfterFlush; goAfterFlush = null; location.assign(to); return; }
    tellOtherTabs();
    if (flushAgain) { flushAgain = false; flushSoon(); return; }
    if (summary.waiting) scheduleRetry(summary.waiting.notBefore);
  }

  // No answer: try again after a while (longer each time, at most 15 s), or when the server
  // said when; the network returning or the socket reconnecting tries at once.
  function scheduleRetry(notBefore) {
    clearTimeout(retryTimer);
    var wait = notBefore ? Math.max(250, notBefore - Date.now()) : retryDelay;
    retryDelay = Math.min(retryDelay * 2, 15000);
    retryTimer = setTimeout(flushSoon, wait + Math.random() * 250);
  }

  window.addEventListener("online", function () {
    retryDelay = 1000;
    items.forEach(function (item) { if (item.state === "waiting" && !item.attempts) item.notBefore = 0; });
    flushSoon();
    render();
  });
  window.addEventListener("offline", render);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) flushSoon(); });
  document.addEventListener("htmx:wsOpen", function () { flushSoon(); });

  // --- other tabs, the service worker, Background Sync ---------------------------------------

  var channel = window.BroadcastChannel ? new BroadcastChannel("commonground-outbox-" + session) : null;
  function tellOtherTabs() { if (channel) channel.postMessage("changed"); }
  if (channel) channel.onmessage = function () { reload(); };

  var worker = navigator.serviceWorker;
  var workerUrl = config.getAttribute("data-worker");
  var workerScope = config.getAttribute("data-scope");
  function askForBackgroundSync() {
    if (!worker || !window.isSecureContext) return;
    worker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("commonground-outbox-" + session);
    }).catch(function () { /* no Background Sync: the page sends by itself */ });
  }
  if (worker && window.isSecureContext && workerUrl) {
    worker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "commonground-outbox-flush") flushSoon();
    });
    // After the page has loaded, a moment later on each phone: a room of phones opening the
    // page at once does not fetch the app shell all at once.
    window.addEventListener("load", function () {
      setTimeout(function () {
        worker.register(workerUrl, { scope: workerScope }).then(function () { return worker.ready; }).then(function (registration) {
          // The page this phone is on now, and the next need to map, kept for a reload offline
          // (the worker keeps every participant page it serves from then on).
          var pages = [location.pathname + location.search];
          var next = document.querySelector(".next-to-map-link");
          if (next) pages.push(next.getAttribute("href"));
          if (registration.active) registration.active.postMessage({ type: "commonground-keep-pages", urls: pages });
        }).catch(function () { /* no worker: the outbox works without it */ });
      }, 250 + Math.random() * 1500);
    });
  }

  // Erasing oneself or being removed: nothing of this session stays on the phone.
  function forgetEverything() {
    items = [];
    render();
    var done = [Store.clear(session).catch(function () {})];
    if (window.caches) {
      done.push(caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf(session) !== -1; }).map(function (name) { return caches.delete(name); }));
      }).catch(function () {}));
    }
    if (worker && workerScope) {
      done.push(worker.getRegistration(workerScope).then(function (registration) {
        return registration && registration.unregister();
      }).catch(function () {}));
    }
    return Promise.all(done);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-outbox-forget]") || form.cgForgotten) return;
    event.preventDefault();
    form.cgForgotten = true;
    var go = function () { HTMLFormElement.prototype.submit.call(form); };
    Promise.race([forgetEverything(), new Promise(function (resolve) { setTimeout(resolve, 1500); })]).then(go, go);
  });
  document.addEventListener("cg:removed", function () { forgetEverything(); });

  // --- showing it ----------------------------------------------------------------------------

  function button(text, action, key, hidden) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "btn btn-sm btn-outline-secondary";
    b.setAttribute("data-outbox-action", action);
    b.setAttribute("data-outbox-key", key);
    b.textContent = text;
    if (hidden) {
      var more = document.createElement("span");
      more.className = "visually-hidden";
      more.textContent = ": " + hidden;
      b.appendChild(more);
    }
    return b;
  }
  function para(className, text) {
    var p = document.createElement("p");
    p.className = className;
    if (text != null) p.textContent = text;
    return p;
  }
  function bdi(text) { var b = document.createElement("bdi"); b.textContent = text; return b; }

  function stateWords(item) {
    if (item.state === "refused") return t("refused");
    if (item.state === "sending") return t("sending");
    return navigator.onLine === false ? t("waiting-offline") : t("waiting");
  }

  // The item as shown where it belongs: its new card (a need, a gap note) or a line under
  // what it changes, with what can be done with it.
  function markFor(item, asCard) {
    var mark = document.createElement(asCard === "li" ? "li" : "div");
    mark.id = "outbox-" + item.key;
    mark.className = "outbox-mark" + (asCard ? " outbox-card" : "") + (item.kind === "post" && asCard ? " need-card" : "");
    mark.setAttribute("data-outbox-mark", item.key);
    mark.setAttribute("data-state", item.state);
    mark.setAttribute("data-words", stateWords(item) + "|" + (item.reason || "") + "|" + (item.why || ""));
    var fields = item.fields || {};
    if (asCard) {
      var text = para(item.kind === "post" ? "need-text" : "gap-text");
      text.appendChild(bdi(fields.text || ""));
      mark.appendChild(text);
      if (fields.context) { var ctx = para("need-context small"); ctx.appendChild(bdi(fields.context)); mark.appendChild(ctx); }
    }
    var line = para("outbox-line small mb-1");
    var state = document.createElement("strong");
    state.className = "outbox-state";
    state.textContent = stateWords(item);
    line.appendChild(state);
    if (!asCard) {
      line.appendChild(document.createTextNode(" · "));
      line.appendChild(bdi(label(item)));
    }
    mark.appendChild(line);
    if (item.state === "refused") {
      mark.appendChild(para("outbox-reason small mb-1", reasonOf(item)));
      var typed = (item.kind === "post" || item.kind === "edit" || item.kind === "gap") && fields.text;
      mark.appendChild(para("outbox-copy-label small mb-0", t(typed ? "copy-label" : "copy-label-other")));
      var copy = para("outbox-copy small");
      copy.appendChild(bdi(copyText(item)));
      mark.appendChild(copy);
      var actions = document.createElement("div");
      actions.className = "outbox-actions d-flex flex-wrap gap-2";
      actions.appendChild(button(t("copy"), "copy", item.key, label(item)));
      actions.appendChild(button(t("retry"), "retry", item.key, label(item)));
      actions.appendChild(button(t("dismiss"), "dismiss", item.key, label(item)));
      mark.appendChild(actions);
    } else if (item.state !== "sending") {
      var cancel = button(t("cancel"), "cancel", item.key, label(item));
      mark.appendChild(cancel);
    }
    return mark;
  }

  // Where an item is shown on this page: where its write will show (the list of needs, the
  // gaps, the card or the dots it changes), else under the form it was made with, else in
  // the list of what waits.
  function placeFor(item) {
    if (item.kind === "post") {
      var list = document.getElementById("needs-list");
      if (list) return { parent: list, card: "li" };
    } else if (item.kind === "gap") {
      var gaps = document.getElementById("gaps");
      var title = document.getElementById("gaps-title");
      if (gaps && title) return { parent: gaps, after: title, card: "div" };
    } else if (item.target && document.getElementById(item.target)) {
      return { parent: document.getElementById(item.target) };
    }
    var form = formOnThisPage(item);
    if (form) return { parent: form.parentNode, after: form };
    var fallback = document.getElementById("outbox-list");
    return fallback ? { parent: fallback, card: null, li: true } : null;
  }

  var renderQueued = false;
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(function () { renderQueued = false; draw(); }, 0);
  }

  function draw() {
    var keys = {};
    items.forEach(function (item) {
      if (inFlightHere(item)) return;
      keys[item.key] = true;
      var place = placeFor(item);
      var existing = document.getElementById("outbox-" + item.key);
      var words = stateWords(item) + "|" + (item.reason || "") + "|" + (item.why || "");
      if (existing && existing.getAttribute("data-words") === words && place && place.parent.contains(existing)) return;
      var hadFocus = existing && existing.contains(document.activeElement);
      if (existing) existing.remove();
      if (!place) return;
      var mark = markFor(item, place.card);
      var node = mark;
      if (place.li) { node = document.createElement("li"); node.appendChild(mark); node.setAttribute("data-outbox-wrap", item.key); }
      if (place.after) place.after.insertAdjacentElement("afterend", node);
      else place.parent.appendChild(node);
      if (hadFocus) { var first = mark.querySelector("button") || mark; if (first === mark) mark.tabIndex = -1; first.focus(); }
    });
    document.querySelectorAll("[data-outbox-mark]").forEach(function (mark) {
      if (!keys[mark.getAttribute("data-outbox-mark")]) mark.remove();
    });
    document.querySelectorAll("[data-outbox-wrap]").forEach(function (wrap) {
      if (!wrap.querySelector("[data-outbox-mark]")) wrap.remove();
    });
    // "Kept on this phone", said next to the control when it was tapped, until the item is
    // no longer waiting, and only where the item's own mark is not already saying it.
    document.querySelectorAll("[data-queued]").forEach(function (note) {
      var key = note.getAttribute("data-queued");
      var item = items.filter(function (other) { return other.key === key; })[0];
      var mark = document.getElementById("outbox-" + key);
      if (!item || item.state === "refused" || (mark && note.parentNode.contains(mark))) note.remove();
    });
    document.querySelectorAll(".outbox-withdrawing").forEach(function (el) { el.classList.remove("outbox-withdrawing"); });
    items.forEach(function (item) {
      if (item.state !== "refused" && /^delete-/.test(item.kind) && item.target) {
        var el = document.getElementById(item.target);
        if (el) el.classList.add("outbox-withdrawing");
      }
    });
    drawCount();
  }

  function drawCount() {
    var bar = document.getElementById("outbox-bar");
    var count = document.getElementById("outbox-count");
    var panel = document.getElementById("outbox");
    if (panel) panel.hidden = !document.querySelector("#outbox-list [data-outbox-mark]");
    if (!bar || !count) return;
    var waiting = waitingItems().length;
    var refused = refusedItems().length;
    bar.hidden = !(waiting || refused);
    var words = [];
    if (waiting) words.push(waiting === 1 ? t("count-one") : fill(t("count-many"), { n: waiting }));
    if (refused) words.push(refused === 1 ? t("refused-one") : fill(t("refused-many"), { n: refused }));
    if (count.textContent !== words.join(" · ")) count.textContent = words.join(" · ");
    var first = items[0];
    count.setAttribute("href", first ? "#outbox-" + first.key : "#");
    bar.setAttribute("data-state", waiting ? "waiting" : "refused");
    var status = document.getElementById("connection-status");
    if (status) status.setAttribute("data-offline-text", t("offline"));
  }

  document.addEventListener("click", function (event) {
    var b = event.target.closest && event.target.closest("[data-outbox-action]");
    if (!b) return;
    var key = b.getAttribute("data-outbox-key");
    var item = items.filter(function (other) { return other.key === key; })[0];
    if (!item) return;
    var action = b.getAttribute("data-outbox-action");
    if (action === "cancel" || action === "dismiss") {
      if (item.state === "sending") return;
      var bar = document.getElementById("outbox-count");
      Store.remove(key).then(tellOtherTabs);
      forget(key);
      if (action === "cancel") answers.announce(fill(t("cancelled"), { what: label(item) }));
      setTimeout(function () {
        var main = document.getElementById("main");
        if (bar && !document.getElementById("outbox-bar").hidden) bar.focus(); else if (main) main.focus();
      }, 0);
    } else if (action === "retry") {
      item.state = "waiting";
      item.reason = item.why = item.answer = "";
      item.attempts = 0;
      item.notBefore = 0;
      Store.put(item).then(function () { update(item); flushSoon(); });
    } else if (action === "copy") {
      var words = copyText(item);
      var copied = function () { answers.announce(t("copied")); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(words).then(copied, function () { selectText(b); });
      } else {
        selectText(b);
        try { if (document.execCommand("copy")) copied(); } catch (e) { /* selected: the phone's own copy */ }
      }
    }
  });
  function selectText(b) {
    var copy = b.closest("[data-outbox-mark]").querySelector(".outbox-copy");
    var range = document.createRange();
    range.selectNodeContents(copy);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // Swaps (answers, live pushes, polling) replace cards with the marks in them: draw again.
  ["htmx:afterSettle", "htmx:oobAfterSwap", "htmx:wsAfterMessage", "htmx:afterSwap"].forEach(function (name) {
    document.addEventListener(name, render);
  });

  // --- starting ------------------------------------------------------------------------------

  function reload() {
    return Store.list(session).then(function (list) {
      var sendingNow = flushing ? items.filter(function (item) { return item.state === "sending"; }).map(function (i) { return i.key; }) : [];
      items = list.map(function (item) {
        // Left "sending" by a page that closed mid-send: it waits again (its key makes a
        // second copy harmless).
        if (inFlightHere(item)) return item;
        if (item.state === "sending" && sendingNow.indexOf(item.key) === -1) {
          item.state = "waiting";
          delete item.live;
        }
        return item;
      });
      render();
    });
  }

  try {
    var said = sessionStorage.getItem("commonground-outbox-said");
    if (said) {
      sessionStorage.removeItem("commonground-outbox-said");
      var flash = document.getElementById("flash");
      if (flash) {
        var note = document.createElement("div");
        note.className = "alert alert-success mb-2";
        note.textContent = said;
        flash.replaceChildren(note);
      }
      answers.announce(said);
    }
  } catch (e) { /* private mode: nothing to say */ }

  reload().then(function () { flushSoon(); }, function () { /* nowhere to keep items: htmx alone */ });
})();
