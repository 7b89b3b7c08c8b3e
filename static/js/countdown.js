// Phase timers: the server sends the end time (data-ends-at); the text counts down here.
// Shared by the participant page, the board and the facilitator dashboard. At zero a timer
// with data-time-up-text says so, its banner shows why input closed, and the page is marked.
(function () {
  "use strict";
  // Up only once the end time has passed, as the server decides (LiveSession.time_is_up):
  // the clock rounds up, so "0:01" shows until then and no phone says "Time is up" while
  // the server still takes a post. Ticks four times a second so that zero shows at zero.
  setInterval(function () {
    document.querySelectorAll("[data-ends-at]").forEach(function (timer) {
      var ms = Date.parse(timer.getAttribute("data-ends-at")) - Date.now();
      var up = ms <= 0;
      var left = up ? 0 : Math.ceil(ms / 1000);
      var upText = timer.getAttribute("data-time-up-text");
      var text = up && upText ? upText : Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (timer.textContent !== text) timer.textContent = text;
      if (up && upText && !timer.classList.contains("time-up")) {
        timer.classList.add("time-up");
        document.body.setAttribute("data-time-up", "true");
        var banner = timer.closest(".phase-banner");
        var note = banner && banner.querySelector("[data-time-up-note]");
        if (note) note.hidden = false;
      }
    });
  }, 250);
})();
