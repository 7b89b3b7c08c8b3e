// Phase timers: the server sends the end time (data-ends-at); the text counts down here.
// Shared by the participant page, the board and the facilitator dashboard.
(function () {
  "use strict";
  setInterval(function () {
    document.querySelectorAll("[data-ends-at]").forEach(function (timer) {
      var left = Math.max(0, Math.round((Date.parse(timer.getAttribute("data-ends-at")) - Date.now()) / 1000));
      var text = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (timer.textContent !== text) timer.textContent = text;
    });
  }, 1000);
})();
