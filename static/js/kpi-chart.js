// Draws the KPI page's charts from the JSON the page embeds (no inline script).
// The tables beside each chart show the same numbers, so Chart.js (the
// page's largest file) is fetched only once the page is shown: the first
// paint does not wait for it, and pages without charts never load it.
function drawCharts() {
  const source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const names = document.getElementById("chart-labels").dataset;
  const common = { responsive: true, animation: false, plugins: { legend: { position: "bottom" } } };
  const daily = document.getElementById("daily-chart");
  if (daily) {
    const series = [
      [names.leads, data.leads, "#0d6efd"],
      [names.mqls, data.mqls, "#fd7e14"],
      [names.sqls, data.sqls, "#198754"],
      [names.won, data.won, "#6f42c1"],
    ];
    new Chart(daily, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: series.map(([label, values, color]) => ({
          label, data: values, backgroundColor: color, maxBarThickness: 18,
        })),
      },
      options: {
        ...common,
        scales: {
          x: { stacked: false, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
          y: { beginAtZero: true, ticks: { precision: 0 } },
        },
      },
    });
  }
  const funnel = document.getElementById("funnel-chart");
  if (funnel) {
    new Chart(funnel, {
      type: "bar",
      data: {
        labels: names.steps.split("|"),
        datasets: [{ label: names.leads, data: data.funnel, backgroundColor: "#0d6efd" }],
      },
      options: {
        ...common,
        indexAxis: "y",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } }, y: { grid: { display: false } } },
      },
    });
  }
}

function loadChartLibrary() {
  const names = document.getElementById("chart-labels");
  if (!names || !document.getElementById("chart-data")) return;
  const script = document.createElement("script");
  script.src = names.dataset.library;
  script.addEventListener("load", drawCharts);
  document.head.appendChild(script);
}

if (document.readyState === "complete") {
  loadChartLibrary();
} else {
  window.addEventListener("load", loadChartLibrary);
}
