// The phone's outbox, without the page: where waiting writes are kept (IndexedDB, or the
// page's localStorage when IndexedDB cannot open), and sending them in the order they were
// made, each with its key (sessions/services/replays.py: a write sent twice is stored once).
// Used by the participant pages (static/js/outbox.js) and by their service worker, which sends
// what waits when the browser's Background Sync wakes it with no page open.
(function (scope) {
  "use strict";
  var DB_NAME = "commonground-outbox";
  var STORE = "items";
  var TIMEOUT_MS = 20000;
  // A server error is tried again this many times before the write is shown as not sent: a
  // lost connection or a busy server is waited out, a bug is not retried for ever.
  var SERVER_ERROR_TRIES = 5;

  // --- where items are kept ------------------------------------------------------------------

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  var database = null;
  function openDatabase() {
    if (!database) {
      database = new Promise(function (resolve, reject) {
        if (!scope.indexedDB) { reject(new Error("no IndexedDB")); return; }
        var opening = scope.indexedDB.open(DB_NAME, 1);
        opening.onupgradeneeded = function () {
          opening.result.createObjectStore(STORE, { keyPath: "key" }).createIndex("session", "session");
        };
        opening.onsuccess = function () { resolve(opening.result); };
        opening.onerror = function () { reject(opening.error); };
      });
    }
    return database;
  }

  function withStore(mode, work) {
    return openDatabase().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result;
        Promise.resolve(work(tx.objectStore(STORE))).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  var indexedStore = {
    list: function (session) {
      return withStore("readonly", function (store) {
        return request(store.index("session").getAll(session));
      });
    },
    put: function (item) { return withStore("readwrite", function (store) { return request(store.put(item)); }); },
    remove: function (key) { return withStore("readwrite", function (store) { return request(store.delete(key)); }); },
    clear: function (session) {
      return withStore("readwrite", function (store) {
        return request(store.index("session").getAllKeys(session)).then(function (keys) {
          keys.forEach(function (key) { store.delete(key); });
        });
      });
    }
  };

  // Where IndexedDB is refused (some private modes), the page keeps its items in localStorage:
  // they still survive a reload, only Background Sync cannot reach them.
  var LOCAL_KEY = "commonground-outbox";
  function localItems() {
    try { return JSON.parse(scope.localStorage.getItem(LOCAL_KEY) || "[]"); } catch (e) { return []; }
  }
  function saveLocal(items) { scope.localStorage.setItem(LOCAL_KEY, JSON.stringify(items)); }
  var localStore = {
    list: function (session) {
      return Promise.resolve(localItems().filter(function (item) { return item.session === session; }));
    },
    put: function (item) {
      var items = localItems().filter(function (other) { return other.key !== item.key; });
      items.push(item);
      saveLocal(items);
      return Promise.resolve();
    },
    remove: function (key) {
      saveLocal(localItems().filter(function (item) { return item.key !== key; }));
      return Promise.resolve();
    },
    clear: function (session) {
      saveLocal(localItems().filter(function (item) { return item.session !== session; }));
      return Promise.resolve();
    }
  };

  var chosen = null;
  function store() {
    if (!chosen) {
      chosen = openDatabase().then(function () { return indexedStore; }, function () {
        return scope.localStorage ? localStore : Promise.reject(new Error("nowhere to keep the outbox"));
      });
    }
    return chosen;
  }

  function inOrder(items) {
    return items.sort(function (a, b) { return a.seq - b.seq || (a.key < b.key ? -1 : 1); });
  }

  // --- keys ------------------------------------------------------------------------------------

  // A random key for one write. crypto.randomUUID needs a secure context; a phone served over
  // plain HTTP on the room's Wi-Fi has none, getRandomValues works everywhere.
  function newKey() {
    var bytes = new Uint8Array(16);
    scope.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  var lastSeq = 0;
  function nextSeq() {
    lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
    return lastSeq;
  }

  // --- sending -------------------------------------------------------------------------------

  // What an answer means for the item: "stored" (done, or done before: a replay), "refused"
  // (the server said no: kept, with its reason, for the person to see), or "retry" (no answer,
  // or one that says try again later).
  function outcomeOf(response, item) {
    var status = response.status;
    var retryAfter = parseInt(response.headers.get("Retry-After") || "", 10);
    var refusal = response.headers.get("X-Refusal");
    var reason = refusal ? decodeURIComponent(refusal) : "";
    if (response.redirected && /\/join\//.test(response.url)) return { outcome: "refused", why: "left" };
    if (status === 403 && response.headers.get("HX-Refresh")) return { outcome: "refused", why: "removed" };
    if (status >= 200 && status < 300) return { outcome: "stored" };
    if (status === 429 || status === 502 || status === 503 || status === 504) {
      return { outcome: "retry", retryAfter: isNaN(retryAfter) ? null : retryAfter };
    }
    if (status >= 500) {
      return (item.attempts || 0) + 1 >= SERVER_ERROR_TRIES ? { outcome: "refused", why: "server-error" } : { outcome: "retry" };
    }
    return { outcome: "refused", reason: reason, why: status === 404 || status === 410 ? "gone" : status === 403 ? "stale" : "" };
  }

  // One item sent once: resolves with its outcome and the answer (text, headers), never rejects.
  function send(item, csrfToken) {
    var controller = scope.AbortController ? new scope.AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return scope.fetch(item.url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "HX-Request": "true",
        "X-CSRFToken": csrfToken || item.csrf || ""
      },
      body: item.body,
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.text().then(function (text) {
        var result = outcomeOf(response, item);
        result.text = text;
        result.status = response.status;
        result.headers = response.headers;
        return result;
      });
    }, function () {
      return { outcome: "retry", offline: true };
    }).then(function (result) {
      if (timer) clearTimeout(timer);
      return result;
    });
  }

  // One sender at a time per session, across this phone's tabs and its service worker (Web
  // Locks, where the browser has them: a secure context). Without them the server's keys
  // still store each write once.
  function exclusively(session, work) {
    if (scope.navigator && scope.navigator.locks) {
      return scope.navigator.locks.request("commonground-outbox-" + session, work);
    }
    return work();
  }

  // Send the session's waiting items in the order they were made, each once, until one cannot
  // be sent (then stop: what comes after it waits its turn). ``hooks``: csrf (the page's
  // token), skip(item) (htmx is sending it from this page now), sending(item),
  // sent(item, result), refused(item, result), waiting(item, result).
  function flush(session, hooks) {
    hooks = hooks || {};
    return exclusively(session, function () {
      return store().then(function (kept) {
        return kept.list(session).then(function (items) {
          var queue = inOrder(items).filter(function (item) {
            return item.state !== "refused" && !(hooks.skip && hooks.skip(item));
          });
          var summary = { sent: [], refused: [], waiting: null };
          function next() {
            var item = queue.shift();
            if (!item) return summary;
            if (item.notBefore && item.notBefore > Date.now()) {
              summary.waiting = item;
              return summary;
            }
            item.state = "sending";
            return kept.put(item).then(function () {
              if (hooks.sending) hooks.sending(item);
              return send(item, hooks.csrf);
            }).then(function (result) {
              if (result.outcome === "stored") {
                return kept.remove(item.key).then(function () {
                  summary.sent.push(item);
                  if (hooks.sent) hooks.sent(item, result);
                  return next();
                });
              }
              if (result.outcome === "refused") {
                item.state = "refused";
                item.reason = result.reason || "";
                item.why = result.why || "";
                item.answer = result.text && result.text.length < 200000 ? result.text : "";
                return kept.put(item).then(function () {
                  summary.refused.push(item);
                  if (hooks.refused) hooks.refused(item, result);
                  return next();
                });
              }
              item.state = "waiting";
              if (!result.offline) item.attempts = (item.attempts || 0) + 1;
              item.notBefore = result.retryAfter ? Date.now() + result.retryAfter * 1000 : 0;
              return kept.put(item).then(function () {
                summary.waiting = item;
                if (hooks.waiting) hooks.waiting(item, result);
                return summary;
              });
            });
          }
          return next();
        });
      });
    });
  }

  scope.CGOutboxStore = {
    store: store,
    flush: flush,
    send: send,
    newKey: newKey,
    nextSeq: nextSeq,
    inOrder: inOrder,
    list: function (session) { return store().then(function (kept) { return kept.list(session); }).then(inOrder); },
    put: function (item) { return store().then(function (kept) { return kept.put(item); }); },
    remove: function (key) { return store().then(function (kept) { return kept.remove(key); }); },
    clear: function (session) { return store().then(function (kept) { return kept.clear(session); }); }
  };
})(self);
