// Phase timers: the server sends the end time (data-ends-at); the text counts down here.
// Shared by the participant page, the board and the facilitator dashboard. At zero a timer
// with data-time-up-text says so, its banner shows why input closed, and the page is marked.
(function () {
  "use strict";
  setInterval(function () {
    document.querySelectorAll("[data-ends-at]").forEach(function (timer) {
      var left = Math.max(0, Math.round((Date.parse(timer.getAttribute("data-ends-at")) - Date.now()) / 1000));
      var upText = timer.getAttribute("data-time-up-text");
      var text = left === 0 && upText ? upText : Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (timer.textContent !== text) timer.textContent = text;
      if (left === 0 && upText && !timer.classList.contains("time-up")) {
        timer.classList.add("time-up");
        document.body.setAttribute("data-time-up", "true");
        var banner = timer.closest(".phase-banner");
        var note = banner && banner.querySelector("[data-time-up-note]");
        if (note) note.hidden = false;
      }
    });
  }, 1000);
})();
