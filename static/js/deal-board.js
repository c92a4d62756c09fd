// The pipeline board's drag and drop (SortableJS, served from static/vendor).
// A card dropped in another column submits its own "move to" form, the one
// the keyboard and browsers without JavaScript use: htmx posts it and swaps
// in the board as the server has it (a refused move puts the card back).
(function () {
  "use strict";

  function moveCard(event) {
    const card = event.item;
    const target = event.to.dataset.stage;
    if (event.from === event.to) return;
    const form = card.querySelector("form.deal-move");
    if (!form) return;
    form.querySelector("select[name=stage]").value = target;
    form.requestSubmit();
  }

  function setUp(root) {
    root.querySelectorAll(".deal-cards[data-drop=yes]").forEach(function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "yes";
      window.Sortable.create(list, {
        group: "deals",
        draggable: ".deal-card[data-movable=yes]",
        filter: "select, button, a, input",
        preventOnFilter: false,
        animation: 120,
        onEnd: moveCard,
      });
    });
  }

  function start() {
    if (!window.Sortable) return;
    setUp(document);
    document.body.addEventListener("htmx:afterSwap", function () { setUp(document); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
