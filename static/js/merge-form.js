// The dashboard's merge form: a need chosen in one list is taken out of the other, so the form
// never offers a need against itself (sessions/forms.py MergeForm; the server refuses it too).
(function () {
  "use strict";
  const lists = Array.from(document.querySelectorAll("select[data-merge-pair]"));
  if (lists.length !== 2) {
    return;
  }
  function update() {
    lists.forEach(function (list, index) {
      const chosen = lists[1 - index].value;
      Array.from(list.options).forEach(function (option) {
        option.disabled = option.value !== "" && option.value === chosen;
      });
    });
  }
  lists.forEach(function (list) {
    list.addEventListener("change", update);
  });
  update();
})();
