// The join page's proof of work (sessions/proof_of_work.py). As soon as the page opens, the
// ALTCHA widget (static/vendor/altcha, invisible) fetches the session's challenge and solves
// it in web workers loaded from this site, while the person reads and chooses; its answer goes
// with the form in a hidden "altcha" field. A tap on Join before the answer is found waits
// for it and then joins, saying so (#join-check, a polite status). Where the check cannot run
// (no web workers or WebCrypto, an insecure page) or fails three times, the form is posted
// without it, as a browser without JavaScript does: the server lets a few of those in a minute.
(function () {
  "use strict";
  var form = document.querySelector("form[data-challenge-url]");
  var status = document.getElementById("join-check");
  if (!form || !status) return;
  var widget = null;
  var waiting = null;  // the Join button whose tap waits for the answer
  var failures = 0;
  var givenUp = false;

  function say(name) { status.textContent = status.getAttribute("data-" + name) || ""; }

  function giveUp() {
    givenUp = true;
    if (widget) widget.remove();  // no half-made answer goes with the form
    widget = null;
    say("failed");
    if (waiting) submit(waiting);
  }

  function submit(button) {
    waiting = null;
    if (form.requestSubmit) form.requestSubmit(button || undefined);
    else form.submit();
  }

  function onState(event) {
    var state = event.detail && event.detail.state;
    if (state === "verified") {
      failures = 0;
      say("ready");
      if (waiting) submit(waiting);
    } else if (state === "expired") {
      widget.verify();  // the page stayed open past the challenge's time: a new one, quietly
    } else if (state === "error") {
      failures += 1;
      if (failures >= 3) giveUp();
      else window.setTimeout(function () { if (widget) widget.verify(); }, 500 * failures);
    }
  }

  function start() {
    var registry = window.$altcha;
    if (!registry || !registry.algorithms) { giveUp(); return; }
    var workerUrl = form.getAttribute("data-challenge-worker");
    registry.algorithms.set("PBKDF2/SHA-256", function () { return new Worker(workerUrl); });
    widget = document.createElement("altcha-widget");
    widget.setAttribute("challenge", form.getAttribute("data-challenge-url"));
    widget.setAttribute("name", "altcha");
    widget.setAttribute("auto", "onload");
    widget.setAttribute("configuration", form.getAttribute("data-challenge-configuration"));
    widget.addEventListener("statechange", onState);
    status.parentNode.insertBefore(widget, status);
    say("working");
  }

  function verified() { return !!widget && widget.getState && widget.getState() === "verified"; }

  function wait(button) {
    if (waiting) return;  // one tap is enough: it joins once the answer is there
    waiting = button || form.querySelector('button[type="submit"]');
    say("waiting");
    var state = widget.getState ? widget.getState() : "";
    if (state !== "verifying" && widget.verify) widget.verify();
  }

  // Everything the person fills in is valid (the widget's own hidden control aside, which the
  // browser would otherwise refuse the form for while the check runs).
  function restValid() {
    return Array.prototype.every.call(form.elements, function (element) {
      return widget.contains(element) || !element.willValidate || element.validity.valid;
    });
  }

  // A tap on Join (or Enter in a field, which taps it) before the answer: wait for it. What
  // the person left out is still said first, by the browser.
  form.addEventListener("click", function (event) {
    var button = event.target.closest('button[type="submit"], input[type="submit"]');
    if (!button || givenUp || !widget || verified() || !restValid()) return;
    event.preventDefault();
    wait(button);
  }, true);
  form.addEventListener("invalid", function (event) {
    if (widget && widget.contains(event.target)) event.preventDefault();
  }, true);
  form.addEventListener("submit", function (event) {
    if (givenUp || !widget || verified()) return;
    event.preventDefault();
    wait(event.submitter);
  });

  var capable = window.isSecureContext && window.Worker && window.crypto && window.crypto.subtle &&
    window.customElements;
  if (!capable) { giveUp(); return; }
  window.customElements.whenDefined("altcha-widget").then(start);
  // The widget's script failed to load: join without the check rather than wait for ever.
  window.setTimeout(function () { if (!widget && !givenUp) giveUp(); }, 10000);
})();
