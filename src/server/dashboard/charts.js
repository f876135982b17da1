// @ts-check
/// <reference lib="dom" />
/**
 * Training curves: one chart per declared step and metric family, as the API describes each series (its
 * family, label, unit and which way is better); a matrix step's instances are lines of the same chart.
 *
 * @module
 */
import { h, s } from "./dom.js";
import { compact, metricValue } from "./format.js";

/** @typedef {import("../schemas.ts").SeriesList["series"][number]} Series */

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/**
 * The charts' series grouped by declared step, then family (table metrics left out).
 * @param {Iterable<Series>} series
 * @returns {Map<string, Map<string, Series[]>>}
 */
export function chartGroups(series) {
  /** @type {Map<string, Map<string, Series[]>>} */
  const groups = new Map();
  for (const one of series) {
    if (one.info.table) continue;
    const byFamily = groups.get(one.group) ?? new Map();
    groups.set(one.group, byFamily);
    byFamily.set(one.info.family, [...(byFamily.get(one.info.family) ?? []), one]);
  }
  return groups;
}

/**
 * A series' legend label: its label, and the instance's axis values when the chart shows several instances.
 * @param {Series} one
 * @param {boolean} several
 * @param {(stepId: string) => string} instanceLabel
 * @returns {string}
 */
function legendLabel(one, several, instanceLabel) {
  return several ? `${one.info.label} · ${instanceLabel(one.step)}` : one.info.label;
}

/**
 * One line chart.
 * @param {string} family
 * @param {Series[]} list
 * @param {(stepId: string) => string} instanceLabel
 * @returns {HTMLElement}
 */
function chart(family, list, instanceLabel) {
  const W = 320, H = 170, L = 52, R = 10, T = 10, B = 24;
  const { unit, direction } = list[0].info;
  const all = list.flatMap((one) => one.points).filter((p) => Number.isFinite(p[1]));
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  /** @param {number} x */
  const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  /** @param {number} y */
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const ticks = [y0 + pad, (y0 + y1) / 2, y1 - pad];
  const sorted = [...list].sort((a, b) => a.step.localeCompare(b.step) || a.name.localeCompare(b.name));
  const several = new Set(list.map((one) => one.step)).size > 1;
  const better = direction === "higher" ? "higher is better" : direction === "lower" ? "lower is better" : "";
  const svg = s(
    "svg",
    { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": family },
    ticks.map((t) => [
      s("line", { class: "grid", x1: L, x2: W - R, y1: py(t), y2: py(t) }),
      s("text", { class: "tick", x: L - 6, y: py(t) + 4, "text-anchor": "end" }, metricValue(t, unit)),
    ]),
    s("text", { class: "tick", x: L, y: H - 6 }, compact(x0)),
    s("text", { class: "tick", x: W - R, y: H - 6, "text-anchor": "end" }, `update ${compact(x1)}`),
    sorted.map((one, i) =>
      s("polyline", {
        class: "line",
        stroke: COLORS[i % COLORS.length],
        points: one.points.filter((p) => Number.isFinite(p[1])).map((p) =>
          `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`
        )
          .join(" "),
      })
    ),
  );
  const legend = h(
    "div",
    { class: "legend" },
    sorted.map((one, i) => {
      const swatch = h("i");
      swatch.style.background = COLORS[i % COLORS.length]; // CSSOM: allowed by the page's CSP
      const last = one.points[one.points.length - 1];
      return h(
        "span",
        {},
        swatch,
        `${legendLabel(one, several, instanceLabel)} `,
        h("b", {}, metricValue(last?.[1], unit)),
      );
    }),
  );
  return h(
    "figure",
    { class: "chart-box", "data-family": family },
    h("figcaption", {}, family, better ? h("span", { class: "muted" }, ` · ${better}`) : null),
    svg,
    legend,
  );
}

/**
 * Draws every chart into `host`; returns whether there was any.
 * @param {HTMLElement} host
 * @param {Iterable<Series>} series
 * @param {(stepId: string) => string} instanceLabel the axis values of an instance (`seed=1`)
 * @returns {boolean}
 */
export function renderCharts(host, series, instanceLabel) {
  const groups = chartGroups(series);
  host.replaceChildren(
    ...[...groups].map(([group, byFamily]) =>
      h(
        "div",
        { class: "chart-group", "data-group": group },
        h("h4", {}, group),
        h(
          "div",
          { class: "chart-grid" },
          [...byFamily].sort(([a], [b]) => a.localeCompare(b)).map(([family, list]) =>
            chart(family, list, instanceLabel)
          ),
        ),
      )
    ),
  );
  return groups.size > 0;
}
