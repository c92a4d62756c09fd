// A claim answered 404: the handoff left the rep's scope after the page was
// loaded (another rep holds it, or it was withdrawn). The answer says nothing
// about it, by design; the row says so in the rep's language (the form
// carries the sentence) instead of a button that silently does nothing.
document.addEventListener("htmx:responseError", (event) => {
  const form = event.detail.elt;
  if (!form.matches || !form.matches("form[data-claim-gone]")) return;
  if (event.detail.xhr.status !== 404) return;
  const note = document.createElement("span");
  note.className = "alert alert-warning py-1 px-2 mb-0 small";
  note.setAttribute("role", "alert");
  note.dataset.testid = "claim-gone";
  note.textContent = form.dataset.claimGone;
  form.replaceWith(note);
});
