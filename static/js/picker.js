// Strategy picker: type to narrow the list of strategies (all stay listed without JavaScript).
(function () {
  "use strict";
  document.querySelectorAll("[data-filter-target]").forEach(function (input) {
    var container = document.querySelector(input.getAttribute("data-filter-target"));
    if (!container) return;
    input.addEventListener("input", function () {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      container.querySelectorAll("[data-filter-text]").forEach(function (option) {
        var text = option.getAttribute("data-filter-text");
        var checked = option.querySelector("input:checked");
        option.hidden = !checked && !terms.every(function (term) { return text.indexOf(term) !== -1; });
      });
      container.querySelectorAll("fieldset").forEach(function (group) {
        group.hidden = !group.querySelector("[data-filter-text]:not([hidden])");
      });
    });
  });
})();
