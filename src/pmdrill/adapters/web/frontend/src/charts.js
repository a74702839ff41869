// <canvas data-chart="line|bar|interval" data-series-id="s1"> draws the JSON in
// <script type="application/json" id="s1"> (or in its own data-series attribute). "interval" is an
// experiment read-out: one floating bar per row from low to high, a mark at the estimate and a
// vertical line at "zero". Colours come from pmdrill.css custom properties, so light and dark
// mode follow the page.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";
import { claim, prefersDark, prefersReducedMotion, within } from "./page.js";
import { formatValue } from "./format.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const ROW_PX = 40;
const AXES_PX = 56;
/** canvas -> what pmdrill drew there; set before Chart.js first paints, which it may do at once. */
const drawn = new WeakMap();

function cssColours(element) {
  const style = getComputedStyle(element);
  const read = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read("--chart-text", "#444"),
    grid: read("--chart-grid", "#ddd"),
    series: [1, 2, 3, 4, 5, 6].map((n) => read(`--chart-${n}`, "#0b5cad")),
    positive: read("--chart-positive", "#1a7f37"),
    negative: read("--chart-negative", "#cf222e"),
    neutral: read("--chart-neutral", "#6e7781"),
    marker: read("--chart-marker", "#1f2328"),
    font: read("--font-sans", "system-ui, sans-serif"),
  };
}

/** A colour with opacity, for fills under lines and bars (#rrggbb or anything CSS accepts). */
function translucent(colour, alpha) {
  const hex = colour.match(/^#([0-9a-f]{6})$/i);
  if (!hex) return colour;
  const n = parseInt(hex[1], 16);
  return `rgba(${n >> 16}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/**
 * The chart's JSON: from data-series-id's <script type="application/json">, or from the canvas's
 * own data-series attribute, which survives an htmx swap (htmx drops every <script> it swaps in
 * when allowScriptTags is false, data blocks included).
 */
function readData(canvas) {
  if (canvas.dataset.series) return JSON.parse(canvas.dataset.series);
  const id = canvas.dataset.seriesId;
  const script = id ? document.getElementById(id) : null;
  if (!script) throw new Error(`no element with id ${JSON.stringify(id)} and no data-series attribute`);
  return JSON.parse(script.textContent);
}

/** An interval point as {value, low, high} with low <= high, or null when there is no estimate. */
function interval(point) {
  if (!point || !Number.isFinite(point.low) || !Number.isFinite(point.high)) return null;
  return { value: point.value, low: Math.min(point.low, point.high), high: Math.max(point.low, point.high) };
}

/** Green when the whole interval is above zero, red when below, grey when it straddles zero. */
function intervalColour(colours, point, zero) {
  if (point && point.low > zero) return colours.positive;
  if (point && point.high < zero) return colours.negative;
  return colours.neutral;
}

function axis(colours, extra = {}) {
  return {
    ...extra,
    ticks: { color: colours.text, ...extra.ticks },
    grid: { color: colours.grid, ...extra.grid },
    border: { color: colours.grid },
    title: { color: colours.text, ...extra.title },
  };
}

/** Draws the estimate marks and the zero line of an interval chart. */
const intervalMarks = {
  id: "pmdrillIntervalMarks",
  afterDatasetsDraw(chart) {
    const state = drawn.get(chart.canvas);
    if (state?.kind !== "interval") return;
    const { ctx, chartArea, scales } = chart;
    const { points, zero } = state;
    const colours = state.colours;
    ctx.save();
    const zeroX = scales.x.getPixelForValue(zero);
    if (zeroX >= chartArea.left && zeroX <= chartArea.right) {
      ctx.strokeStyle = colours.marker;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 4]);
      ctx.beginPath();
      ctx.moveTo(zeroX, chartArea.top);
      ctx.lineTo(zeroX, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    chart.getDatasetMeta(0).data.forEach((bar, i) => {
      const value = points[i]?.value;
      if (!Number.isFinite(value)) return;
      const { y, height } = bar.getProps(["y", "height"], true);
      const x = scales.x.getPixelForValue(value);
      const half = Math.max(6, height * 0.75);
      ctx.strokeStyle = colours.marker;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.moveTo(x, y - half);
      ctx.lineTo(x, y + half);
      ctx.stroke();
    });
    ctx.restore();
  },
};

function seriesConfig(kind, data, colours) {
  const format = data.y?.format ?? "number";
  const fmt = (v) => formatValue(v, format);
  return {
    type: kind,
    data: {
      labels: data.labels,
      datasets: data.datasets.map((d, i) => {
        const colour = colours.series[i % colours.series.length];
        return {
          label: d.label,
          data: d.data,
          borderColor: colour,
          backgroundColor: kind === "bar" ? translucent(colour, 0.75) : colour,
          pointBackgroundColor: colour,
          borderWidth: 2,
          pointRadius: 2.5,
          tension: 0,
        };
      }),
    },
    options: {
      maintainAspectRatio: true,
      aspectRatio: 2,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: data.datasets.length > 1, labels: { color: colours.text } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label ?? ""}: ${fmt(c.parsed.y)}` } },
      },
      scales: {
        x: axis(colours),
        y: axis(colours, {
          min: data.y?.min,
          max: data.y?.max,
          ticks: { callback: fmt },
          title: { display: Boolean(data.y?.label), text: data.y?.label ?? "" },
        }),
      },
    },
  };
}

function intervalFormat(data) {
  return data.x?.format ?? data.y?.format ?? data.format ?? "number";
}

function intervalText(point, fmt) {
  return point ? `${fmt(point.value)} (${fmt(point.low)} to ${fmt(point.high)})` : "no estimate";
}

function intervalConfig(data, points, colours) {
  const fmt = (v) => formatValue(v, intervalFormat(data));
  const zero = data.zero ?? 0;
  const ends = points.flatMap((p) => (p ? [p.low, p.high, p.value] : [])).concat(zero).filter(Number.isFinite);
  const edge = points.map((p) => intervalColour(colours, p, zero));
  return {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        {
          label: data.label ?? "Interval",
          data: points.map((p) => (p ? [p.low, p.high] : null)),
          backgroundColor: edge.map((colour) => translucent(colour, 0.35)),
          borderColor: edge,
          borderWidth: 1.5,
          borderSkipped: false,
          barPercentage: 0.55,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: "y",
      maintainAspectRatio: false,
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (c) => intervalText(points[c.dataIndex], fmt),
          },
        },
      },
      scales: {
        x: axis(colours, {
          type: "linear",
          suggestedMin: Math.min(...ends),
          suggestedMax: Math.max(...ends),
          grace: "5%",
          ticks: { callback: fmt },
          title: { display: Boolean(data.x?.label), text: data.x?.label ?? "" },
        }),
        y: axis(colours, { grid: { display: false } }),
      },
    },
  };
}

/** What a screen reader hears for the canvas when the page gives no aria-label. */
function describe(kind, data) {
  if (kind === "interval") {
    const fmt = (v) => formatValue(v, intervalFormat(data));
    const rows = data.labels.map((label, i) => `${label}: ${intervalText(interval(data.points[i]), fmt)}`);
    return `Intervals. ${rows.join("; ")}.`;
  }
  const names = data.datasets.map((d) => d.label).filter(Boolean).join(", ");
  const span = data.labels.length ? ` from ${data.labels[0]} to ${data.labels[data.labels.length - 1]}` : "";
  return `${kind === "bar" ? "Bar" : "Line"} chart${names ? ` of ${names}` : ""}${span}.`;
}

function draw(canvas, { animate = true } = {}) {
  const kind = canvas.dataset.chart;
  if (!["line", "bar", "interval"].includes(kind)) {
    console.error(`pmdrill: unknown data-chart ${JSON.stringify(kind)}`, canvas);
    return;
  }
  let data;
  try {
    data = readData(canvas);
  } catch (error) {
    console.error("pmdrill: chart data unreadable:", error.message, canvas);
    return;
  }
  // Chart.js sizes a responsive canvas from its parent, so give it one of its own.
  let box = canvas.parentElement;
  if (!box?.classList.contains("chart-box")) {
    box = document.createElement("div");
    box.className = "chart-box";
    canvas.before(box);
    box.append(canvas);
  }
  if (kind === "interval") box.style.height = `${Math.max(2, data.labels.length) * ROW_PX + AXES_PX}px`;
  if (!canvas.hasAttribute("role")) canvas.setAttribute("role", "img");
  if (!canvas.hasAttribute("aria-label") && !canvas.hasAttribute("aria-labelledby")) {
    canvas.setAttribute("aria-label", describe(kind, data));
  }

  const colours = cssColours(canvas);
  const points = kind === "interval" ? data.points.map(interval) : null;
  const config = kind === "interval" ? intervalConfig(data, points, colours) : seriesConfig(kind, data, colours);
  config.options.responsive = true;
  config.options.animation = animate && !prefersReducedMotion.matches ? { duration: 300 } : false;
  config.plugins = [intervalMarks];
  Chart.defaults.font.family = colours.font;
  drawn.set(canvas, { kind, colours, points, zero: data.zero ?? 0 });
  new Chart(canvas, config);
}

export function initCharts(root) {
  for (const canvas of within(root, "canvas[data-chart]")) {
    if (claim(canvas, "chart") && !Chart.getChart(canvas)) draw(canvas);
  }
}

function eachChart(fn) {
  for (const chart of Object.values(Chart.instances)) {
    if (drawn.has(chart.canvas) && chart.canvas.isConnected) fn(chart);
  }
}

// Chart.js keeps resolved colours per element, so a new colour scheme means a new chart.
prefersDark.addEventListener("change", () =>
  eachChart((chart) => {
    const canvas = chart.canvas;
    chart.destroy();
    draw(canvas, { animate: false });
  }),
);

prefersReducedMotion.addEventListener("change", () =>
  eachChart((chart) => {
    chart.options.animation = prefersReducedMotion.matches ? false : { duration: 300 };
  }),
);

document.addEventListener("htmx:beforeCleanupElement", (event) => {
  if (event.target instanceof HTMLCanvasElement) Chart.getChart(event.target)?.destroy();
});
