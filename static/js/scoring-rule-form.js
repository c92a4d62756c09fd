// The scoring-rule form shows only the fields of the chosen condition (the
// server clears the others on save), and the score follows the condition:
// an activity counts for engagement, anything else is fit.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("[data-rule-form]");
  const data = document.getElementById("rule-fields");
  if (!form || !data) return;
  const shown = JSON.parse(data.textContent);
  const optional = [...new Set(Object.values(shown).flat())];
  const condition = form.elements.condition;
  const dimension = form.elements.dimension;
  const update = () => {
    const wanted = shown[condition.value] || [];
    for (const name of optional) {
      const wrapper = document.getElementById(`div_id_${name}`);
      if (wrapper) wrapper.hidden = !wanted.includes(name);
    }
    if (dimension) dimension.value = condition.value === "activity" ? "engagement" : "fit";
  };
  condition.addEventListener("change", update);
  update();
});
