// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard's tables: the run's steps with live progress, and the self-correction table as the report
 * shows it (methods × Accuracy@t1, Accuracy@t2, Δ(t1,t2), Δ i→c, Δ c→i, in percent), a matrix step's
 * instances under their mean.
 *
 * @module
 */
import { h } from "./dom.js";
import { duration, percent as percentText, rate } from "./format.js";
import { percent } from "./graph.js";

/** @typedef {import("../schemas.ts").RunDetail} RunDetail */
/** @typedef {import("../schemas.ts").StepSummary} StepSummary */
/** @typedef {import("../schemas.ts").SelfCorrectionTable} SelfCorrectionTable */
/** @typedef {import("../schemas.ts").SelfCorrectionRow} SelfCorrectionRow */
/** @typedef {SelfCorrectionTable["columns"][number]} Column */
/** @typedef {NonNullable<SelfCorrectionRow["mean"]>} Values */

/**
 * The run's steps, one row each (matrix instances included), with a records button where there are any.
 * @param {RunDetail} run
 * @param {(stepId: string) => void} showRecords
 * @returns {HTMLElement}
 */
export function stepTable(run, showRecords) {
  const heads = ["Step", "Kind", "State", "Progress", "Items", "Rate", "ETA", "Time", "Attempts", ""];
  return h(
    "table",
    { class: "steps" },
    h("thead", {}, h("tr", {}, heads.map((text) => h("th", {}, text)))),
    h(
      "tbody",
      {},
      run.stepList.flatMap((step) => [
        h(
          "tr",
          { "data-step": step.id, "data-status": step.status },
          h("td", { class: "step-name" }, step.id),
          h("td", { class: "muted" }, step.kind),
          h("td", {}, h("span", { class: `badge ${step.status}` }, step.status)),
          h(
            "td",
            { class: "progress-cell" },
            h(
              "div",
              { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 },
              h("span"),
            ),
          ),
          h("td", { class: "items num" }),
          h("td", { class: "num rate" }, rate(step.rate)),
          h("td", { class: "num" }, step.etaSeconds ? duration(step.etaSeconds * 1000) : ""),
          h("td", { class: "num" }, duration(step.durationMs)),
          h("td", { class: "num" }, step.attempts || ""),
          h(
            "td",
            {},
            step.outputs.some((o) => o.kind === "records") || step.status === "running"
              ? h("button", { class: "link", onclick: () => showRecords(step.id) }, "records")
              : null,
          ),
        ),
        shardRow(step),
      ]),
      run.stepList.filter((step) => step.error && step.status === "failed").map((step) =>
        h("tr", { class: "error-row" }, h("td", { colspan: 10, class: "error" }, `${step.id}: ${step.error}`))
      ),
    ),
  );
}

/**
 * The shards of a step run on Slurm, in one row under the step: state, node, items and requeues of each.
 * @param {StepSummary} step
 * @returns {HTMLElement | null}
 */
function shardRow(step) {
  if (!step.shards || step.shards.length === 0) return null;
  const text = step.shards.map((shard) => {
    const size = shard.first === null || shard.end === null ? "" : `/${shard.end - shard.first}`;
    const node = shard.node ? ` on ${shard.node}` : "";
    const requeued = shard.restarts ? `, requeued ${shard.restarts}×` : "";
    const slurm = shard.schedulerState ? ` [${shard.schedulerState}]` : "";
    return `#${shard.index} ${shard.state}${node} ${shard.itemsDone}${size}${requeued}${slurm}`;
  });
  return h(
    "tr",
    { class: "shard-row", "data-shards": step.id },
    h("td", { colspan: 10, class: "muted shards" }, `shards: ${text.join(" · ")}`),
  );
}

/**
 * Updates one step's row in place (on every progress event).
 * @param {StepSummary} step
 */
export function updateStepRow(step) {
  const pct = percent(step);
  for (const row of document.querySelectorAll(`tr[data-step="${CSS.escape(step.id)}"]`)) {
    const bar = /** @type {HTMLElement | null} */ (row.querySelector(".bar"));
    const fill = /** @type {HTMLElement | null} */ (bar?.querySelector("span") ?? null);
    if (!bar || !fill) continue;
    fill.style.width = `${pct}%`;
    bar.setAttribute("aria-valuenow", pct.toFixed(1));
    bar.dataset.done = String(step.itemsDone);
    const items = row.querySelector(".items");
    if (items) {
      items.textContent = step.itemsTotal !== null
        ? `${step.itemsDone}/${step.itemsTotal}`
        : step.itemsDone
        ? String(step.itemsDone)
        : "";
    }
  }
}

/**
 * Whether `value` is the best of `values` in the column's direction.
 * @param {Column} column
 * @param {number} value
 * @param {number[]} values
 * @returns {boolean}
 */
function isBest(column, value, values) {
  if (values.length < 2 || column.direction === "none") return false;
  const best = column.direction === "higher" ? Math.max(...values) : Math.min(...values);
  return Math.abs(value - best) < 1e-12;
}

/**
 * One row's value cells.
 * @param {SelfCorrectionTable["columns"]} columns
 * @param {Values} values
 * @param {Map<string, number[]>} [peers] each column's values over the compared rows (to mark the best)
 * @returns {HTMLElement[]}
 */
function valueCells(columns, values, peers) {
  return columns.map((column) => {
    const value = values[/** @type {keyof Values} */ (column.key)];
    const improved = column.direction === "lower" ? value < 0 : value > 0;
    const tone = !column.signed || Math.abs(value) < 5e-4 ? "" : improved ? "better" : "worse";
    const best = peers && isBest(column, value, peers.get(column.key) ?? []);
    return h(
      "td",
      { class: ["num", tone, best ? "best" : ""].filter(Boolean).join(" "), "data-column": column.key },
      percentText(value, column.signed),
    );
  });
}

/**
 * @param {Record<string, string>} matrix
 * @returns {string}
 */
function matrixLabel(matrix) {
  return Object.entries(matrix).map(([axis, value]) => `${axis}=${value}`).join(", ");
}

/**
 * The rows of one method: a single row, or its mean and then one row per instance.
 * @param {SelfCorrectionTable["columns"]} columns
 * @param {SelfCorrectionRow} row
 * @param {Map<string, number[]>} peers
 * @returns {HTMLElement[]}
 */
function methodRows(columns, row, peers) {
  const [first] = row.instances;
  if (row.instances.length === 1 || !row.mean) {
    return [h(
      "tr",
      { "data-method": row.method, "data-step": first.step },
      h("th", { scope: "row", class: "method" }, row.method),
      h("td", { class: "step-name" }, first.step),
      valueCells(columns, first.values, peers),
      h("td", { class: "num muted" }, first.problems ?? ""),
    )];
  }
  return [
    h(
      "tr",
      { class: "mean", "data-method": row.method, "data-step": row.step },
      h(
        "th",
        { scope: "row", class: "method" },
        row.method,
        h("span", { class: "muted" }, ` mean of ${row.instances.length}`),
      ),
      h("td", { class: "step-name" }, `${row.step} ×${row.instances.length}`),
      valueCells(columns, row.mean, peers),
      h("td", { class: "num muted" }, first.problems ?? ""),
    ),
    ...row.instances.map((instance) =>
      h(
        "tr",
        { class: "instance", "data-method": row.method, "data-step": instance.step },
        h(
          "th",
          { scope: "row", class: "method instance-name" },
          matrixLabel(instance.matrix) || instance.step,
        ),
        h("td", { class: "step-name muted" }, instance.step),
        valueCells(columns, instance.values),
        h("td", { class: "num muted" }, instance.problems ?? ""),
      )
    ),
  ];
}

/**
 * The self-correction table; null when the run has no evaluation yet.
 * @param {SelfCorrectionTable} table
 * @returns {HTMLElement | null}
 */
export function selfCorrectionTable(table) {
  if (table.rows.length === 0) return null;
  const arrow = /** @param {Column} column */ (column) =>
    column.direction === "higher" ? " ↑" : column.direction === "lower" ? " ↓" : "";
  /** @param {SelfCorrectionRow[]} rows @returns {Map<string, number[]>} */
  const peersOf = (rows) =>
    new Map(table.columns.map((column) => [
      column.key,
      rows.map((row) => (row.mean ?? row.instances[0].values)[/** @type {keyof Values} */ (column.key)]),
    ]));
  const evaluations = table.rows.filter((row) => row.evaluation);
  const others = table.rows.filter((row) => !row.evaluation);
  const width = table.columns.length + 3;
  return h(
    "table",
    { class: "eval", "aria-label": "self-correction" },
    h(
      "caption",
      {},
      "Percent of all problems; ↑/↓ marks which way is better, bold the best method, green/red an improvement/regression.",
    ),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", {}, "Method"),
        h("th", {}, "Step"),
        table.columns.map((column) =>
          h("th", { class: "num", "data-column": column.key }, column.label + arrow(column))
        ),
        h("th", { class: "num" }, "n"),
      ),
    ),
    h("tbody", {}, evaluations.flatMap((row) => methodRows(table.columns, row, peersOf(evaluations)))),
    others.length
      ? h(
        "tbody",
        { class: "others" },
        h(
          "tr",
          {},
          h(
            "th",
            { colspan: width, class: "section" },
            "Other two-attempt measurements (not held-out evaluations)",
          ),
        ),
        others.flatMap((row) => methodRows(table.columns, row, new Map())),
      )
      : null,
  );
}
