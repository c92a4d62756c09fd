// The lead list's bulk bar: tick every row of the page, offer "all N
// matching", show the fields of the chosen action, and fill the owner and
// campaign choices from the filter form's (no second query for them).
(function () {
  "use strict";

  function rows() {
    return Array.from(document.querySelectorAll('input[name="ids"][form="bulk-form"]'));
  }

  function refresh() {
    var form = document.getElementById("bulk-form");
    if (!form) return;
    var ticked = rows().filter(function (box) { return box.checked; }).length;
    var count = form.querySelector("[data-bulk-count]");
    var all = form.querySelector("[data-bulk-all]");
    var allBox = document.getElementById("bulk-all");
    var page = document.getElementById("select-page");
    if (page) {
      page.checked = ticked > 0 && ticked === rows().length;
      page.indeterminate = ticked > 0 && ticked < rows().length;
    }
    if (all) all.hidden = !(page && page.checked);
    if (allBox && all && all.hidden) allBox.checked = false;
    if (count) {
      count.textContent = ticked
        ? count.dataset.some + " " + String(ticked)
        : count.dataset.none;
    }
    var action = document.getElementById("bulk-action");
    form.querySelectorAll("[data-bulk-for]").forEach(function (field) {
      field.hidden = !action || field.dataset.bulkFor !== action.value;
    });
  }

  function fillChoices() {
    document.querySelectorAll("select[data-options-from]").forEach(function (select) {
      if (select.options.length) return;
      var source = document.getElementById(select.dataset.optionsFrom);
      if (!source) return;
      Array.from(source.options).forEach(function (option) {
        var copy = new Option(option.value ? option.text : "—", option.value);
        select.add(copy);
      });
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "select-page" || target.name === "ids" || target.id === "bulk-action") {
      refresh();
    }
  });
  function ready() { fillChoices(); refresh(); }
  document.addEventListener("DOMContentLoaded", ready);
  document.addEventListener("htmx:afterSettle", ready);
})();
