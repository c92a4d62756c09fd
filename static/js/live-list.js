// Lists that keep themselves current and answer the keyboard: the sales
// queue and the notification list (templates/handoff/queue.html,
// notifications.html).
//
// Live: a [data-live-list] element polls its own address (hx-trigger). Its
// answer is not swapped in whole but morphed into the page (Idiomorph, from
// npm): rows keep their DOM nodes by their stable ids, so the focused button
// or link and the scroll position stay where the person left them; rows that
// left disappear, new ones appear, an open "Reject…" form is left alone. What
// changed is announced politely (#live-status, aria-live).
//
// Shortcuts (not while typing in a field, nor with Ctrl, Alt or Cmd): j and k
// move from row to row ([data-row], focusing its [data-row-open] link), c
// claims the current row ([data-row-claim]; with no current row it goes to
// the first Claim button), Enter opens the focused link as always.
(() => {
  const typing = (el) =>
    el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  const rowsOf = (root) => [...root.querySelectorAll("[data-row]")];
  const ids = (root, selector) => new Set([...root.querySelectorAll(selector)].map((e) => e.id));

  const focusRow = (row) => {
    if (!row) return;
    const target = row.querySelector("[data-row-open]") || row;
    if (target === row && !row.hasAttribute("tabindex")) row.setAttribute("tabindex", "-1");
    target.focus();
    row.scrollIntoView({ block: "nearest" });
  };

  const announce = (text) => {
    const status = document.getElementById("live-status");
    if (!status || !text) return;
    // Set anew even when the same sentence comes twice in a row.
    status.textContent = "";
    window.setTimeout(() => {
      status.textContent = text;
    }, 50);
  };

  const say = (list, name, count) =>
    count > 0 && list.dataset[name] ? list.dataset[name].replace("{number}", String(count)) : "";

  // 1. Morph a poll's answer into the list instead of swapping it whole.
  document.addEventListener("htmx:beforeSwap", (event) => {
    const list = event.detail.elt;
    if (!list || !list.matches || !list.matches("[data-live-list]")) return;
    if (event.detail.xhr.status !== 200 || typeof Idiomorph === "undefined") return;
    event.detail.shouldSwap = false;
    const watched = list.dataset.liveList; // the rows whose arrivals are announced
    const before = ids(list, watched);
    const focused = document.activeElement;
    let lostAt = -1;
    Idiomorph.morph(list, event.detail.serverResponse, {
      morphStyle: "outerHTML",
      ignoreActiveValue: true,
      callbacks: {
        // An open <details> (the reject form) keeps its state and its typing.
        beforeNodeMorphed: (oldNode) => !(oldNode.tagName === "DETAILS" && oldNode.open),
        beforeAttributeUpdated: (name, node) => !(name === "open" && node.tagName === "DETAILS"),
        beforeNodeRemoved: (node) => {
          if (node.matches && node.matches("[data-row]") && node.contains(focused)) {
            lostAt = rowsOf(list).indexOf(node);
          }
          return true;
        },
      },
    });
    htmx.process(list);
    const after = ids(list, watched);
    const everywhere = ids(list, "[data-row]");
    const arrived = [...after].filter((id) => !before.has(id)).length;
    const left = [...before].filter((id) => !everywhere.has(id)).length;
    const sentences = [say(list, "announceArrived", arrived), say(list, "announceLeft", left)];
    if (lostAt >= 0 && !list.contains(document.activeElement)) {
      // The row the person was on has gone: the next one takes the focus.
      const rows = rowsOf(list);
      if (rows.length) focusRow(rows[Math.min(lostAt, rows.length - 1)]);
      else (document.getElementById("waiting") || list).focus();
      sentences.push(list.dataset.announceFocusLeft || "");
    }
    announce(sentences.filter(Boolean).join(" "));
  });

  // 2. After a claim the row is swapped in place: keep the keyboard on it.
  document.addEventListener("htmx:afterSettle", (event) => {
    const form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-claim-gone]")) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    const row = event.detail.target && document.getElementById(event.detail.target.id);
    if (row) focusRow(row);
  });

  // 3. The shortcuts.
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    const scope = document.querySelector("[data-shortcuts]");
    if (!scope || !["j", "k", "c"].includes(event.key)) return;
    const rows = rowsOf(scope);
    const current = document.activeElement && document.activeElement.closest("[data-row]");
    const index = current ? rows.indexOf(current) : -1;
    if (event.key === "j" || event.key === "k") {
      event.preventDefault();
      if (!rows.length) return;
      const next = event.key === "j" ? index + 1 : index < 0 ? rows.length - 1 : index - 1;
      focusRow(rows[Math.max(0, Math.min(next, rows.length - 1))]);
    } else {
      const claim = current
        ? current.querySelector("[data-row-claim]")
        : scope.querySelector("[data-row-claim]");
      if (!claim) return;
      event.preventDefault();
      if (current) claim.click();
      else claim.focus();
    }
  });

  // 4. The skip link to the first Claim button: focus it, whatever the list
  //    became since the page loaded (the heading when nobody waits).
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a[data-skip-to-claim]");
    if (!link) return;
    const claim = document.querySelector("[data-shortcuts] [data-queued] [data-row-claim]");
    const target = claim || document.getElementById("waiting");
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
})();
