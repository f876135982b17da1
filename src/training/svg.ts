/**
 * Line charts as standalone SVG text (no scripts, no external resources), for training curves in reports.
 *
 * @module
 */

/** One named line: (x, y) points in any order; non-finite points are skipped. */
export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
}

/** What to draw. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Pixels (default 640). */
  width?: number;
  /** Pixels (default 360). */
  height?: number;
}

/** A colour-blind-friendly palette (Okabe-Ito), cycled over series. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
const MARGIN = { left: 64, right: 16, top: 62, bottom: 44 };

/** Escapes text for use in SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 times a power of ten, about `count` of them. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / Math.max(count, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9; i++) ticks.push(roundTo(i * step, step));
  return ticks;
}

/** Formats a tick label with no more digits than the step needs. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(4)));
}

function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(decimals));
}

/** The data's range, widened when flat so that a constant line sits mid-chart. */
function extent(values: readonly number[]): [number, number] {
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  return [min, max];
}

function finitePoints(series: Series): (readonly [number, number])[] {
  return series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)).sort((a, b) =>
    a[0] - b[0]
  );
}

/** Renders a line chart with axes, ticks, a legend and one polyline per series. */
export function lineChartSvg(chart: LineChart): string {
  const width = chart.width ?? 640;
  const height = chart.height ?? 360;
  const series = chart.series.map((s) => ({ name: s.name, points: finitePoints(s) }));
  const all = series.flatMap((s) => s.points);
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`;
  const title = `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${
    escapeXml(chart.title)
  }</text>`;
  if (all.length === 0) {
    const empty = `<text x="${width / 2}" y="${height / 2}" text-anchor="middle">no data</text>`;
    return [head, `<rect width="100%" height="100%" fill="white"/>`, title, empty, "</svg>"].join("\n");
  }
  const xTicks = niceTicks(...extent(all.map((p) => p[0])));
  const yTicks = niceTicks(...extent(all.map((p) => p[1])));
  const [xMin, xMax] = extent([...all.map((p) => p[0]), ...xTicks]);
  const [yMin, yMax] = extent([...all.map((p) => p[1]), ...yTicks]);
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotWidth;
  const sy = (y: number) => MARGIN.top + (1 - (y - yMin) / (yMax - yMin)) * plotHeight;
  return [
    head,
    `<rect width="100%" height="100%" fill="white"/>`,
    title,
    ...axes(xTicks, yTicks, sx, sy, width, height),
    axisLabels(chart, width, height),
    ...series.map((s, i) => polyline(s.points, PALETTE[i % PALETTE.length], sx, sy, s.name)),
    ...legend(series.map((s) => s.name), width),
    "</svg>",
  ].join("\n");
}

function axes(
  xTicks: readonly number[],
  yTicks: readonly number[],
  sx: (x: number) => number,
  sy: (y: number) => number,
  width: number,
  height: number,
): string[] {
  const bottom = height - MARGIN.bottom;
  const right = width - MARGIN.right;
  const lines = [
    `<line x1="${MARGIN.left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#444"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${bottom}" stroke="#444"/>`,
  ];
  for (const x of xTicks) {
    const px = fixed(sx(x));
    lines.push(`<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + 4}" stroke="#444"/>`);
    lines.push(`<text x="${px}" y="${bottom + 16}" text-anchor="middle">${formatTick(x)}</text>`);
  }
  for (const y of yTicks) {
    const py = fixed(sy(y));
    lines.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`);
    lines.push(`<text x="${MARGIN.left - 6}" y="${py}" text-anchor="end" dy="4">${formatTick(y)}</text>`);
  }
  return lines;
}

function axisLabels(chart: LineChart, width: number, height: number): string {
  const xLabel = `<text x="${MARGIN.left + (width - MARGIN.left - MARGIN.right) / 2}" y="${height - 8}" ` +
    `text-anchor="middle">${escapeXml(chart.xLabel)}</text>`;
  const middle = MARGIN.top + (height - MARGIN.top - MARGIN.bottom) / 2;
  const yLabel = `<text x="14" y="${middle}" text-anchor="middle" transform="rotate(-90 14 ${middle})">` +
    `${escapeXml(chart.yLabel)}</text>`;
  return `${xLabel}\n${yLabel}`;
}

function polyline(
  points: readonly (readonly [number, number])[],
  colour: string,
  sx: (x: number) => number,
  sy: (y: number) => number,
  name: string,
): string {
  const coordinates = points.map(([x, y]) => `${fixed(sx(x))},${fixed(sy(y))}`).join(" ");
  return `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${coordinates}">` +
    `<title>${escapeXml(name)}</title></polyline>`;
}

function legend(names: readonly string[], width: number): string[] {
  const items: string[] = [];
  let x = MARGIN.left;
  let y = 34;
  names.forEach((name, i) => {
    const itemWidth = 28 + name.length * 7;
    if (x > MARGIN.left && x + itemWidth - 8 > width - MARGIN.right) {
      x = MARGIN.left; // wrap to the next legend row
      y += 14;
    }
    const colour = PALETTE[i % PALETTE.length];
    items.push(`<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${colour}" stroke-width="2"/>`);
    items.push(`<text x="${x + 20}" y="${y + 4}">${escapeXml(name)}</text>`);
    x += itemWidth;
  });
  return items;
}

function fixed(value: number): string {
  return String(Math.round(value * 10) / 10);
}
