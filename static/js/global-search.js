// The global search in the top bar (templates/base.html, crm/search.py).
// Without JavaScript it is a GET form to the results page. With it:
// - "/" focuses it, unless the person is typing in a field;
// - htmx fills the dropdown as they type (debounced in the input's hx-trigger);
// - the input keeps the focus (a combobox): ArrowDown/ArrowUp choose an
//   option (aria-activedescendant), Enter opens it, Escape closes the list;
// - the number of results is announced politely (#global-search-status).
(() => {
  const typing = (el) =>
    el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

  document.addEventListener("keydown", (event) => {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    const input = document.getElementById("global-search");
    if (!input) return;
    event.preventDefault();
    input.focus();
    input.select();
  });

  document.addEventListener("DOMContentLoaded", () => {
    const input = document.getElementById("global-search");
    const list = document.getElementById("global-search-results");
    const status = document.getElementById("global-search-status");
    if (!input || !list) return;
    const form = input.form;
    const options = () => [...list.querySelectorAll('[role="option"]')];
    let active = -1;

    const open = (shown) => {
      list.classList.toggle("show", shown);
      input.setAttribute("aria-expanded", shown ? "true" : "false");
      if (!shown) choose(-1);
    };
    const choose = (index) => {
      const all = options();
      active = index;
      all.forEach((option, i) => {
        option.classList.toggle("active", i === index);
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && all[index]) {
        input.setAttribute("aria-activedescendant", all[index].id);
        all[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    };

    document.body.addEventListener("htmx:afterSwap", (event) => {
      if (event.detail.target !== list) return;
      const summary = list.querySelector("[data-search-summary]");
      const text = summary ? summary.dataset.searchSummary : "";
      open(Boolean(input.value.trim()) && Boolean(list.textContent.trim()));
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (status) status.textContent = text;
    });
    // A request still on its way when the field was emptied must not reopen it.
    document.body.addEventListener("htmx:beforeRequest", (event) => {
      if (event.detail.elt === input && !input.value.trim()) {
        event.preventDefault();
        list.replaceChildren();
        open(false);
      }
    });

    input.addEventListener("keydown", (event) => {
      const all = options();
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!all.length) return;
        event.preventDefault();
        open(true);
        const step = event.key === "ArrowDown" ? 1 : -1;
        // -1 is the field itself: past either end, back to what was typed.
        let next = active + step;
        if (next >= all.length) next = -1;
        else if (next < -1) next = all.length - 1;
        choose(next);
      } else if (event.key === "Enter" && active >= 0 && all[active]) {
        event.preventDefault();
        window.location.assign(all[active].href);
      } else if (event.key === "Escape") {
        if (list.classList.contains("show")) {
          event.preventDefault();
          open(false);
        }
      }
    });
    input.addEventListener("focus", () => {
      if (input.value.trim() && options().length) open(true);
    });
    form.addEventListener("focusout", (event) => {
      if (!form.contains(event.relatedTarget)) open(false);
    });
    // A click on an option follows its link; keep the list open until then.
    list.addEventListener("mousedown", (event) => event.preventDefault());
  });
})();
