// The projector board: a projector cannot scroll, so lists marked data-fit show as many whole
// items as fit and hide the rest (newest or highest first, so the oldest or lowest roll off);
// the layout follows the current screen; what a live update changed is marked briefly.
(function () {
  "use strict";
  var board = document.querySelector(".board");
  if (!board) return;
  var KEEP = 80; // items kept in a list that grows by live inserts (the needs)
  // A whole screen arrives with its regions marked out of band as when they are pushed alone:
  // swap it whole (a polled snapshot would otherwise swap its regions into the old screen).
  if (window.htmx) htmx.config.allowNestedOobSwaps = false;

  // A list followed by a [data-fit-more] line says how many items it hid ("+3 more ..."),
  // in the words the server gave for one (data-one) and for more (data-other, {n}).
  function fit(list) {
    var more = list.nextElementSibling;
    if (more && !more.hasAttribute("data-fit-more")) more = null;
    if (more) { // measured with the line shown and filled: it never cuts an item
      more.hidden = false;
      more.textContent = more.getAttribute("data-other").replace("{n}", list.children.length);
    }
    var items = Array.prototype.filter.call(list.children, function (item) {
      return !item.classList.contains("empty-note");
    });
    items.forEach(function (item) { item.hidden = false; });
    items.slice(KEEP).forEach(function (item) { item.remove(); });
    var edge = list.getBoundingClientRect();
    var cut = false;
    items.slice(0, KEEP).forEach(function (item) {
      if (!cut) {
        var box = item.getBoundingClientRect();
        cut = box.bottom > edge.bottom + 1 || box.right > edge.right + 1;
      }
      item.hidden = cut;
    });
    if (more) {
      var hidden = items.filter(function (item) { return item.hidden; }).length;
      more.hidden = hidden === 0;
      more.textContent = hidden === 1 ? more.getAttribute("data-one")
        : more.getAttribute("data-other").replace("{n}", hidden);
    }
  }

  var pending = false;
  function fitAll() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      var screen = document.getElementById("board-screen");
      if (screen) board.setAttribute("data-screen", screen.getAttribute("data-screen"));
      board.querySelectorAll("[data-fit]").forEach(fit);
    });
  }

  // What a swap changed: new items arrive, changed numbers are bumped. Values are read from
  // data-value before the swap and compared after it.
  var before = {};
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !board.contains(target)) return;
    var seen = {};
    [target].concat(Array.prototype.slice.call(target.querySelectorAll("[id]"))).forEach(function (el) {
      seen[el.id] = el.getAttribute("data-value");
      el.querySelectorAll(":scope > [data-value]").forEach(function (valued, index) {
        seen[el.id + "#" + index] = valued.getAttribute("data-value");
      });
    });
    before[target.id] = seen;
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var fresh = event.detail.target;
    var id = fresh && fresh.id;
    var seen = id && before[id];
    if (!seen) { fitAll(); return; }
    delete before[id];
    var root = document.getElementById(id);
    if (root) {
      root.querySelectorAll("[id]").forEach(function (el) {
        if (!(el.id in seen)) {
          el.classList.add("arrived");
          return;
        }
        el.querySelectorAll(":scope > [data-value]").forEach(function (valued, index) {
          var old = seen[el.id + "#" + index];
          if (old !== undefined && old !== valued.getAttribute("data-value")) el.classList.add("bumped");
        });
        if (el.hasAttribute("data-value") && seen[el.id] !== el.getAttribute("data-value")) el.classList.add("bumped");
      });
    }
    fitAll();
  });
  // A new need inserted at the top of the list.
  document.body.addEventListener("htmx:afterSettle", fitAll);
  document.body.addEventListener("htmx:load", function (event) {
    var el = event.detail.elt;
    if (el && el.classList && el.classList.contains("need-card") && board.contains(el)) el.classList.add("arrived");
  });
  document.body.addEventListener("animationend", function (event) {
    event.target.classList.remove("arrived", "bumped");
  });
  window.addEventListener("resize", fitAll);
  // Projector mode changes the type size.
  new MutationObserver(fitAll).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  fitAll();
})();
