// Draws the KPI page's daily chart from the JSON the page embeds (no inline script).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("daily-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const names = document.getElementById("chart-labels").dataset;
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: names.leads, data: data.leads, backgroundColor: "#0d6efd", maxBarThickness: 24 },
        { label: names.mqls, data: data.mqls, backgroundColor: "#fd7e14", maxBarThickness: 24 },
      ],
    },
    options: {
      responsive: true,
      animation: false,
      plugins: { legend: { position: "bottom" } },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { beginAtZero: true, ticks: { precision: 0 } },
      },
    },
  });
});
