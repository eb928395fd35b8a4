// Revenue charts of the dashboard: one uPlot chart per currency, a line per listing (or per
// tier on a listing's page), from the figures the server put in json_script. Values are in
// the currency's units as floats for drawing only; the exact totals are in the tables.
import uPlot from "../vendor/uplot/uPlot.esm.js";

const COLOURS = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#4b5563"];

function chartOptions(chart, width, period) {
  const symbol = chart.currency.symbol || "units";
  return {
    width,
    height: 260,
    scales: { x: { time: true } },
    axes: [{}, { label: symbol, size: 70 }],
    series: [
      { label: period === "weekly" ? "Week of" : "Day", value: (u, v) => (v == null ? "" : new Date(v * 1000).toISOString().slice(0, 10)) },
      ...chart.series.map((s, i) => ({
        label: s.label,
        stroke: COLOURS[i % COLOURS.length],
        width: 2,
        points: { show: true, size: 6 },
        value: (u, v) => (v == null ? "" : `${v} ${symbol}`),
      })),
    ],
  };
}

function render(root, config) {
  const period = root.dataset.period || "daily";
  for (const chart of config.charts) {
    const figure = document.createElement("figure");
    figure.className = "revenue-chart";
    figure.dataset.testid = "revenue-chart";
    figure.dataset.currency = chart.currency.address;
    const caption = document.createElement("figcaption");
    caption.textContent = `Revenue in ${chart.currency.symbol || chart.currency.address} (${period})`;
    figure.append(caption);
    root.append(figure);
    const width = Math.max(320, Math.min(root.clientWidth || 900, 1100) - 8);
    const data = [chart.x, ...chart.series.map((s) => s.y)];
    new uPlot(chartOptions(chart, width, period), data, figure);
    figure.dataset.points = String(chart.x.length * chart.series.length);
  }
  root.dataset.rendered = "true";
}

export function startCharts(configId) {
  const root = document.querySelector("[data-charts]");
  const node = document.getElementById(configId);
  if (!root || !node) return;
  const config = JSON.parse(node.textContent);
  if (!config.charts?.length) {
    root.dataset.rendered = "empty";
    return;
  }
  render(root, config);
}
