// The KPI period form. The date fields show the period in use: editing one of
// them chooses a custom period, and with a preset they are left out of the
// query so that the address stays short and shareable.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-period-form]");
  if (!form) return;
  const preset = form.elements.preset;
  const dates = [form.elements.start, form.elements.end];
  for (const input of dates) {
    input.addEventListener("change", () => {
      preset.value = "custom";
    });
  }
  form.addEventListener("submit", () => {
    for (const input of dates) input.disabled = preset.value !== "custom";
  });
  // Coming back with the browser's back button must not find them disabled.
  window.addEventListener("pageshow", () => {
    for (const input of dates) input.disabled = false;
  });
});
