// The participant pages' service worker (sessions/views/offline.py serves it at /s/<code>/sw.js
// after setting self.CG_OFFLINE and importing Workbox and static/js/outbox-store.js).
//
// - The app shell (styles and scripts of the participant pages) is precached, each file by the
//   hash of its contents: a release that changes one installs a new worker and a new shell.
// - Participant pages (the session page, the strategy picker, editing a need, the gap page)
//   come from the network first, and the last copy of each is kept: a reload on a dead network
//   shows it, with the outbox, instead of the browser's error page. A page this phone has not
//   seen shows the session page as last seen. A page that says the phone is no longer part of
//   the session (joined elsewhere, erased, removed) is not kept, and the old copy goes.
// - Everything else under the scope (the board, the results, live updates) goes to the network
//   untouched.
// - Background Sync: what waits in the outbox is sent by an open participant page if there is
//   one, else by this worker.
(function () {
  "use strict";
  var config = self.CG_OFFLINE;
  var PAGES = "commonground-pages-" + config.session;

  workbox.core.setCacheNameDetails({ prefix: "commonground", suffix: config.session });
  self.addEventListener("install", function () { self.skipWaiting(); });
  workbox.core.clientsClaim();
  workbox.precaching.cleanupOutdatedCaches();
  workbox.precaching.precacheAndRoute(config.shell);

  var PAGE_PATHS = /^(|needs\/\d+\/(edit|map)\/|gaps\/new\/)$/;
  function isPage(url) {
    return url.origin === self.location.origin &&
      url.pathname.indexOf(config.scope) === 0 &&
      PAGE_PATHS.test(url.pathname.slice(config.scope.length));
  }
  function notOurs(response) {
    return response.status === 403 || (response.redirected && /\/join\//.test(response.url));
  }

  var keepPages = {
    cacheWillUpdate: function (options) {
      var response = options.response;
      return Promise.resolve(response && response.status === 200 && !response.redirected ? response : null);
    },
    fetchDidSucceed: function (options) {
      if (!notOurs(options.response)) return Promise.resolve(options.response);
      return caches.open(PAGES).then(function (cache) {
        return cache.delete(options.request.url);
      }).then(function () { return options.response; });
    }
  };
  var pages = new workbox.strategies.NetworkFirst({
    cacheName: PAGES,
    // Conference Wi-Fi that holds a request for ever is a dead network too; a server that
    // is merely slow gets this long before the page as last seen is shown instead.
    networkTimeoutSeconds: 10,
    plugins: [keepPages]
  });
  workbox.routing.registerRoute(function (options) {
    return options.request.mode === "navigate" && isPage(options.url);
  }, pages);
  workbox.routing.setCatchHandler(function (options) {
    if (options.request.mode !== "navigate" || !isPage(options.url)) return Promise.resolve(Response.error());
    return caches.open(PAGES).then(function (cache) {
      return cache.match(options.request.url).then(function (hit) { return hit || cache.match(config.scope); });
    }).then(function (hit) { return hit || Response.error(); });
  });

  // A page asks the worker to keep pages it has not served yet: the page it was opened on
  // before the worker ran, the next need to map.
  self.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type !== "commonground-keep-pages") return;
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return Promise.all((data.urls || []).map(function (url) {
        var absolute = new URL(url, self.location.href);
        if (!isPage(absolute)) return null;
        return cache.match(absolute.href).then(function (hit) {
          if (hit) return null;
          return fetch(absolute.href, { credentials: "same-origin" }).then(function (response) {
            if (response.status === 200 && !response.redirected) return cache.put(absolute.href, response);
            return null;
          }, function () { return null; });
        });
      }));
    }));
  });

  self.addEventListener("sync", function (event) {
    if (event.tag !== "commonground-outbox-" + config.session) return;
    event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (windows) {
      var open = windows.filter(function (client) { return isPage(new URL(client.url)); });
      if (open.length) {
        open.forEach(function (client) { client.postMessage({ type: "commonground-outbox-flush" }); });
        return null;
      }
      return self.CGOutboxStore.flush(config.session, {}).then(function (summary) {
        // Still waiting: the browser wakes the worker again later.
        if (summary.waiting) throw new Error("the outbox is still waiting");
      });
    }));
  });
})();
