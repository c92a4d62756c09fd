// When the session has ended (config/sessions.py):
// - an htmx request gets 401 and the batonSessionEnded event: show the
//   message and stop polling, instead of swapping a login page into the page;
// - after logging in again, the page a form was posted from gets its fields
//   back (#pending-form), to check and send again.
document.addEventListener("DOMContentLoaded", () => {
  document.body.addEventListener("batonSessionEnded", () => {
    const notice = document.getElementById("session-ended");
    if (notice && notice.hidden) {
      notice.hidden = false;
      notice.scrollIntoView({ block: "nearest" });
    }
    // A copy of a polling element is not processed by htmx: its polls stop.
    for (const poller of document.querySelectorAll('[hx-trigger*="every"]')) {
      poller.replaceWith(poller.cloneNode(true));
    }
  });

  const data = document.getElementById("pending-form");
  if (!data) return;
  const pending = JSON.parse(data.textContent);
  const form = [...document.forms].find(
    (f) => new URL(f.action, location.href).pathname === pending.action,
  );
  if (!form) return;
  for (const [name, values] of Object.entries(pending.fields)) {
    const fields = [...form.elements].filter((e) => e.name === name && e.type !== "hidden");
    fields.forEach((field, i) => {
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.includes(field.value);
      } else if (i < values.length) {
        field.value = values[i];
      }
    });
  }
  const notice = document.getElementById("pending-form-notice");
  if (notice) {
    notice.hidden = false;
    form.prepend(notice);
  }
  const first = [...form.elements].find((e) => e.name in pending.fields && e.type !== "hidden");
  (first || form).scrollIntoView({ block: "center" });
  if (first) first.focus();
});
