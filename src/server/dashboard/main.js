// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The pipeline dashboard: the runs, a run's step graph and steps with live progress, the self-correction
 * table and training curves, kept live over server-sent events. Served by the app as ES modules (no CDN);
 * type-checked by `deno check` (JSDoc types, including the API's zod-inferred types from ../schemas.ts).
 *
 * Listeners are added once, in `init`; submitting the token only reloads the data.
 *
 * @module
 */
import { api, followEvents, session, whenUnauthorized } from "./api.js";
import { renderCharts } from "./charts.js";
import { byId, h, toast } from "./dom.js";
import { when } from "./format.js";
import { renderGraph, updateGroupProgress } from "./graph.js";
import { showRecords } from "./records.js";
import { selfCorrectionTable, stepTable, updateStepRow } from "./tables.js";

/** @typedef {import("../schemas.ts").RunDetail} RunDetail */
/** @typedef {import("../schemas.ts").RunSummary} RunSummary */
/** @typedef {import("../schemas.ts").RunEvent} RunEvent */
/** @typedef {import("../schemas.ts").SeriesList} SeriesList */
/** @typedef {SeriesList["series"][number]} Series */

const state = {
  /** @type {RunSummary[]} */
  runs: [],
  /** @type {string | null} */
  runId: null,
  /** @type {RunDetail | null} */
  run: null,
  /** @type {Map<string, Series>} "step\0name" → series */
  series: new Map(),
  /** @type {{ stepId: string, offset: number } | null} */
  records: null,
  /** @type {AbortController | null} */
  stream: null,
};

// ---------- live updates ----------

/**
 * Runs `action` once, `delay` ms after the first of several calls.
 * @param {() => unknown} action
 * @param {number} delay
 * @returns {(delayOverride?: number) => void}
 */
function debounced(action, delay) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  return (delayOverride) => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      action();
    }, delayOverride ?? delay);
  };
}

const refetchSoon = debounced(async () => {
  if (state.runId) await loadRun(state.runId, false).catch((error) => toast(error.message));
  await loadRuns().catch(() => {});
}, 150);

const reloadSeriesSoon = debounced(() => loadSeries().catch((error) => toast(error.message)), 500);
const redrawSoon = debounced(() => {
  renderChartsCard();
  renderSelfCorrection();
}, 500);

/** @param {RunEvent} event */
function onEvent(event) {
  const run = state.run;
  if (!run) return;
  const step = run.stepList.find((st) => st.id === event.stepId);
  /** @type {{ done?: number, total?: number | null, points?: { name: string, step: number, value: number }[] }} */
  const data = event.data ?? {};
  if (event.type === "progress" && step && data.done !== undefined) {
    step.itemsDone = data.done;
    if (data.total !== undefined && data.total !== null) step.itemsTotal = data.total;
    updateStepRow(step);
    updateGroupProgress(run.stepList, step.group);
  } else if (event.type === "metrics") {
    for (const point of data.points ?? []) {
      const series = state.series.get(`${event.stepId}\0${point.name}`);
      if (series) series.points.push([point.step, point.value]);
      else reloadSeriesSoon(); // a new metric: the API describes it
      if (step) step.metrics[point.name] = { step: point.step, value: point.value };
    }
    redrawSoon();
    refetchSoon(1000); // the self-correction table comes from the API
  } else {
    refetchSoon();
  }
}

/** @param {boolean} on */
function setLive(on) {
  const el = byId("live");
  el.textContent = on ? "live" : "offline";
  el.classList.toggle("on", on);
}

// ---------- runs list ----------

async function loadRuns() {
  /** @type {{ runs: RunSummary[] }} */
  const { runs } = await api("/api/runs");
  state.runs = runs;
  const list = byId("runs");
  list.replaceChildren(
    ...runs.map((run) =>
      h(
        "li",
        { class: run.id === state.runId ? "selected" : "" },
        h(
          "a",
          { href: `#run=${encodeURIComponent(run.id)}`, "data-run": run.id },
          h("span", { class: `badge ${run.status}` }, run.status),
          h("span", { class: "run-name" }, run.workflow),
          h("span", { class: "run-id" }, run.id),
          h(
            "span",
            { class: "run-steps" },
            `${run.steps.finished}/${run.steps.total} steps · ${when(run.created)}`,
          ),
        ),
      )
    ),
  );
  if (runs.length === 0) list.append(h("li", { class: "empty" }, "No runs yet."));
}

// ---------- one run ----------

async function loadSeries() {
  if (!state.runId) return;
  /** @type {SeriesList} */
  const { series } = await api(`/api/runs/${encodeURIComponent(state.runId)}/metrics`);
  state.series = new Map(series.map((one) => [`${one.step}\0${one.name}`, one]));
  renderChartsCard();
}

/**
 * @param {string} runId
 * @param {boolean} fresh a newly chosen run: also load its series and follow its events
 */
async function loadRun(runId, fresh) {
  /** @type {RunDetail} */
  const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
  if (runId !== state.runId) return;
  state.run = run;
  renderRun(run);
  if (!fresh) return;
  await loadSeries();
  state.stream?.abort();
  const stream = new AbortController();
  state.stream = stream;
  followEvents(runId, run.lastEventId, { onEvent, onLive: setLive, signal: stream.signal });
}

/** @param {RunDetail} run */
function renderRun(run) {
  byId("run").replaceChildren(
    h(
      "section",
      { class: "run-head" },
      h(
        "div",
        {},
        h(
          "h2",
          {},
          run.workflow,
          " ",
          h("span", { class: `badge ${run.status}`, id: "run-status" }, run.status),
        ),
        h("p", { class: "muted" }, `${run.id} · ${run.file} · started ${when(run.created)}`),
        run.error ? h("p", { class: "error" }, run.error) : null,
      ),
      h(
        "div",
        { class: "actions" },
        h("button", { disabled: run.status !== "running", onclick: () => act("cancel") }, "Cancel"),
        h("button", {
          disabled: run.status === "running" || run.status === "done",
          onclick: () => act("resume"),
        }, "Resume"),
      ),
    ),
    h(
      "section",
      { class: "card", id: "eval-card" },
      h("h3", {}, "Self-correction"),
      h("div", { id: "eval" }),
    ),
    h(
      "section",
      { class: "card" },
      h("h3", {}, "Steps"),
      h("div", { id: "graph" }),
      h("div", { class: "table-scroll" }, stepTable(run, (stepId) => openRecords(stepId, 0))),
    ),
    h(
      "section",
      { class: "card", id: "charts-card" },
      h("h3", {}, "Training curves"),
      h("div", { id: "charts" }),
    ),
    h("section", { class: "card", id: "records-card", hidden: true }, h("div", { id: "records" })),
  );
  renderGraph(byId("graph"), run.stepList);
  for (const step of run.stepList) updateStepRow(step);
  renderSelfCorrection();
  renderChartsCard();
  if (state.records) openRecords(state.records.stepId, state.records.offset);
}

function renderSelfCorrection() {
  const host = document.getElementById("eval");
  if (!host || !state.run) return;
  const table = selfCorrectionTable(state.run.selfCorrection);
  byId("eval-card").hidden = table === null;
  host.replaceChildren(...(table ? [table] : []));
}

function renderChartsCard() {
  const host = document.getElementById("charts");
  if (!host || !state.run) return;
  const steps = new Map(state.run.stepList.map((step) => [step.id, step]));
  /** @param {string} stepId */
  const instanceLabel = (stepId) =>
    Object.entries(steps.get(stepId)?.matrix ?? {}).map(([axis, value]) => `${axis}=${value}`).join(", ") ||
    stepId;
  byId("charts-card").hidden = !renderCharts(host, state.series.values(), instanceLabel);
}

/** @param {"cancel" | "resume"} action */
async function act(action) {
  try {
    /** @type {{ pid: number }} */
    const result = await api(`/api/runs/${encodeURIComponent(state.runId ?? "")}/${action}`, {
      method: "POST",
    });
    toast(`${action}: sent (pid ${result.pid})`);
    refetchSoon(500);
  } catch (error) {
    toast(`${action} failed: ${/** @type {Error} */ (error).message}`);
  }
}

/**
 * @param {string} stepId
 * @param {number} offset
 */
function openRecords(stepId, offset) {
  if (!state.runId) return;
  state.records = { stepId, offset };
  const card = byId("records-card");
  showRecords({
    card,
    host: byId("records"),
    runId: state.runId,
    stepId,
    offset,
    onClose: () => {
      state.records = null;
      card.hidden = true;
    },
  }).catch((error) => toast(error.message));
}

// ---------- navigation ----------

/** @param {boolean} force reload the current run even if it is already shown */
async function route(force = false) {
  const match = location.hash.match(/run=([^&]+)/);
  const wanted = match ? decodeURIComponent(match[1]) : state.runs[0]?.id ?? null;
  if (!wanted || (wanted === state.runId && !force)) return;
  if (wanted !== state.runId) state.records = null;
  state.runId = wanted;
  for (const li of document.querySelectorAll("#runs li")) {
    li.classList.toggle("selected", li.querySelector("a")?.dataset.run === wanted);
  }
  await loadRun(wanted, true).catch((error) => toast(error.message));
}

/** Loads everything (on start, and again after a token is entered). */
async function refresh() {
  try {
    await loadRuns();
    byId("toast").hidden = true;
    await route(true);
  } catch (error) {
    if (byId("token-form").hidden) toast(/** @type {Error} */ (error).message); // else the form asks
  }
}

/** Adds the page's listeners (once) and loads the data. */
function init() {
  const form = byId("token-form");
  whenUnauthorized(() => (form.hidden = false));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    session.setToken(/** @type {HTMLInputElement} */ (byId("token")).value.trim());
    form.hidden = true;
    refresh();
  });
  globalThis.addEventListener("hashchange", () => route());
  let width = 0;
  new ResizeObserver(() => {
    const graph = document.getElementById("graph");
    if (!graph || !state.run || graph.clientWidth === width) return;
    width = graph.clientWidth;
    renderGraph(graph, state.run.stepList);
  }).observe(byId("run"));
  // Rates and ETAs come from the server; refresh them while a run is running.
  setInterval(() => {
    loadRuns().catch(() => {});
    if (state.run?.status === "running") refetchSoon(0);
  }, 3000);
  refresh();
}

init();
