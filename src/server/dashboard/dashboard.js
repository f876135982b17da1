// The pipeline dashboard: runs list, a run's step graph and progress, metric curves and the
// self-correction table, kept live over server-sent events. Plain browser JavaScript, no dependencies.

const state = {
  token: sessionStorage.getItem("pipeline-token") ?? "",
  runs: [],
  runId: null,
  run: null,
  series: new Map(), // "step\0name" -> {step, name, points: [[x, y]]}
  records: null, // {stepId, offset}
  stream: null, // AbortController of the event stream
  lastEventId: 0,
};

// ---------- DOM helpers ----------

const SVG_NS = "http://www.w3.org/2000/svg";

/** Creates an HTML element with attributes and children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Creates an SVG element with attributes and children. */
function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, String(value));
  }
}

function toast(message) {
  const el = document.getElementById("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 5000);
}

// ---------- formatting ----------

function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "";
  const sec = Math.round(ms / 1000);
  if (sec >= 3600) {
    return `${Math.floor(sec / 3600)}h${String(Math.floor((sec % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (sec >= 60) return `${Math.floor(sec / 60)}m${String(sec % 60).padStart(2, "0")}s`;
  return `${sec}s`;
}

function number(value) {
  if (value === null || value === undefined) return "";
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 0.001 || abs >= 1e5) ? value.toExponential(2) : value.toFixed(abs < 1 ? 3 : 2);
}

function when(ms) {
  return ms ? new Date(ms).toLocaleString() : "";
}

// ---------- API ----------

async function api(path, options = {}) {
  const headers = { ...(options.headers ?? {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) document.getElementById("token-form").hidden = false;
  const body = await response.json().catch(() => ({ error: `HTTP ${response.status}` }));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

/** Follows /api/runs/:id/events with fetch (so it can send the token), reconnecting with Last-Event-ID. */
async function follow(runId, after) {
  state.stream?.abort();
  const controller = new AbortController();
  state.stream = controller;
  let last = after;
  while (!controller.signal.aborted) {
    try {
      const headers = { "Last-Event-ID": String(last) };
      if (state.token) headers.Authorization = `Bearer ${state.token}`;
      const response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers,
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(`events: HTTP ${response.status}`);
      setLive(true);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trim());
          if (data.length === 0) continue;
          const event = JSON.parse(data.join("\n"));
          last = event.id;
          onEvent(event);
        }
      }
    } catch (error) {
      if (controller.signal.aborted) return;
      console.warn(error);
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function setLive(on) {
  const el = document.getElementById("live");
  el.textContent = on ? "live" : "offline";
  el.classList.toggle("on", on);
}

// ---------- live updates ----------

let refetchTimer = null;
function refetchSoon(delay = 150) {
  if (refetchTimer !== null) return;
  refetchTimer = setTimeout(async () => {
    refetchTimer = null;
    await loadRun(state.runId, false).catch((error) => toast(error.message));
    await loadRuns().catch(() => {});
  }, delay);
}

let chartFrame = null;
function redrawChartsSoon() {
  if (chartFrame !== null) return;
  chartFrame = setTimeout(() => {
    chartFrame = null;
    renderCharts();
    renderEvalTable();
  }, 500);
}

function onEvent(event) {
  if (!state.run) return;
  if (event.type === "progress") {
    const step = state.run.stepList.find((st) => st.id === event.stepId);
    if (step) {
      step.itemsDone = event.data.done;
      if (event.data.total !== undefined && event.data.total !== null) step.itemsTotal = event.data.total;
      updateProgress(step);
    }
  } else if (event.type === "metrics") {
    for (const point of event.data.points ?? []) {
      const key = `${event.stepId}\0${point.name}`;
      if (!state.series.has(key)) state.series.set(key, { step: event.stepId, name: point.name, points: [] });
      state.series.get(key).points.push([point.step, point.value]);
      const step = state.run.stepList.find((st) => st.id === event.stepId);
      if (step) step.metrics[point.name] = { step: point.step, value: point.value };
    }
    redrawChartsSoon();
  } else {
    refetchSoon();
  }
}

// ---------- runs list ----------

async function loadRuns() {
  const { runs } = await api("/api/runs");
  state.runs = runs;
  const list = document.getElementById("runs");
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

async function loadRun(runId, fresh) {
  if (!runId) return;
  const run = await api(`/api/runs/${encodeURIComponent(runId)}`);
  if (runId !== state.runId) return;
  state.run = run;
  if (fresh) {
    const { series } = await api(`/api/runs/${encodeURIComponent(runId)}/metrics`);
    state.series = new Map(series.map((sr) => [`${sr.step}\0${sr.name}`, sr]));
    renderRun();
    follow(runId, run.lastEventId);
  } else {
    renderRun();
  }
}

function renderRun() {
  const run = state.run;
  const main = document.getElementById("run");
  main.replaceChildren(
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
    h("section", { class: "card" }, h("h3", {}, "Steps"), h("div", { id: "graph" }), stepTable(run)),
    h(
      "section",
      { class: "card", id: "eval-card" },
      h("h3", {}, "Self-correction"),
      h("div", { id: "eval" }),
    ),
    h(
      "section",
      { class: "card", id: "charts-card" },
      h("h3", {}, "Training curves"),
      h("div", { id: "charts" }),
    ),
    h("section", { class: "card", id: "records-card", hidden: true }, h("div", { id: "records" })),
  );
  renderGraph();
  renderCharts();
  renderEvalTable();
  if (state.records) showRecords(state.records.stepId, state.records.offset);
}

async function act(action) {
  try {
    const result = await api(`/api/runs/${encodeURIComponent(state.runId)}/${action}`, { method: "POST" });
    toast(`${action}: sent (pid ${result.pid})`);
    refetchSoon(500);
  } catch (error) {
    toast(`${action} failed: ${error.message}`);
  }
}

function percent(step) {
  if (step.status === "done" || step.status === "cached") return 100;
  if (!step.itemsTotal) return 0;
  return Math.min(100, (100 * step.itemsDone) / step.itemsTotal);
}

function stepTable(run) {
  return h(
    "table",
    { class: "steps" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Step", "Kind", "State", "Progress", "Items", "Rate", "ETA", "Time", "Attempts", ""].map((t) =>
          h("th", {}, t)
        ),
      ),
    ),
    h(
      "tbody",
      {},
      run.stepList.map((step) =>
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
          h("td", { class: "num" }, step.rate ? `${number(step.rate)}/s` : ""),
          h("td", { class: "num" }, step.etaSeconds ? duration(step.etaSeconds * 1000) : ""),
          h("td", { class: "num" }, duration(step.durationMs)),
          h("td", { class: "num" }, step.attempts || ""),
          h(
            "td",
            {},
            step.outputs.some((o) => o.kind === "records") || step.status === "running"
              ? h("button", { class: "link", onclick: () => showRecords(step.id, 0) }, "records")
              : null,
          ),
        )
      ),
      run.stepList.filter((st) => st.error && st.status === "failed").map((st) =>
        h("tr", { class: "error-row" }, h("td", { colspan: 10, class: "error" }, `${st.id}: ${st.error}`))
      ),
    ),
  );
}

/** Updates one step's bar and counts in place (on every progress event). */
function updateProgress(step) {
  const pct = percent(step);
  for (const row of document.querySelectorAll(`tr[data-step="${CSS.escape(step.id)}"]`)) {
    const bar = row.querySelector(".bar");
    bar.querySelector("span").style.width = `${pct}%`;
    bar.setAttribute("aria-valuenow", pct.toFixed(1));
    bar.dataset.done = String(step.itemsDone);
    row.querySelector(".items").textContent = step.itemsTotal !== null
      ? `${step.itemsDone}/${step.itemsTotal}`
      : step.itemsDone
      ? String(step.itemsDone)
      : "";
  }
  const node = document.querySelector(`g.node[data-step="${CSS.escape(step.id)}"] rect.fill`);
  if (node) node.setAttribute("width", String((NODE.w - 20) * pct / 100));
}

// ---------- step graph ----------

const NODE = { w: 168, h: 54, gapX: 56, gapY: 18 };

function layers(steps) {
  const depth = new Map();
  const byId = new Map(steps.map((st) => [st.id, st]));
  const depthOf = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const needs = (byId.get(id)?.needs ?? []).filter((n) => byId.has(n));
    const d = needs.length ? 1 + Math.max(...needs.map((n) => depthOf(n, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  for (const st of steps) depthOf(st.id);
  return depth;
}

function renderGraph() {
  const steps = state.run.stepList;
  const depth = layers(steps);
  const rows = new Map();
  const pos = new Map();
  for (const st of steps) {
    const d = depth.get(st.id);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    pos.set(st.id, { x: 10 + d * (NODE.w + NODE.gapX), y: 10 + row * (NODE.h + NODE.gapY) });
  }
  const width = 20 + (Math.max(0, ...depth.values()) + 1) * (NODE.w + NODE.gapX) - NODE.gapX;
  const height = 20 + Math.max(1, ...rows.values()) * (NODE.h + NODE.gapY) - NODE.gapY;
  const edges = steps.flatMap((st) =>
    st.needs.filter((n) => pos.has(n)).map((n) => {
      const a = pos.get(n);
      const b = pos.get(st.id);
      const x1 = a.x + NODE.w, y1 = a.y + NODE.h / 2, x2 = b.x, y2 = b.y + NODE.h / 2;
      const mid = (x1 + x2) / 2;
      return s("path", { class: "edge", d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` });
    })
  );
  const nodes = steps.map((st) => {
    const p = pos.get(st.id);
    return s(
      "g",
      { class: `node ${st.status}`, "data-step": st.id, transform: `translate(${p.x},${p.y})` },
      s("rect", { class: "box", width: NODE.w, height: NODE.h, rx: 8 }),
      s("text", { x: 10, y: 20, class: "node-name" }, st.id),
      s("text", { x: NODE.w - 10, y: 20, class: "node-state", "text-anchor": "end" }, st.status),
      s("rect", { class: "track", x: 10, y: 34, width: NODE.w - 20, height: 8, rx: 4 }),
      s("rect", {
        class: "fill",
        x: 10,
        y: 34,
        width: ((NODE.w - 20) * percent(st)) / 100,
        height: 8,
        rx: 4,
      }),
    );
  });
  const svg = s(
    "svg",
    {
      class: "graph",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": "step graph",
    },
    edges,
    nodes,
  );
  document.getElementById("graph").replaceChildren(svg);
  for (const st of steps) updateProgress(st);
}

// ---------- metric curves ----------

const COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];

/** Groups series that differ only by an attempt marker (t1/t2, attempt1/2) so they share one chart. */
function family(name) {
  return name.replace(/([_/.-]?(t|turn|attempt)[_-]?[12])$/i, "").replace(
    /([_/.-]?(t|turn|attempt)[_-]?[12])(?=[_/.-])/i,
    "",
  );
}

function renderCharts() {
  const host = document.getElementById("charts");
  if (!host) return;
  const groups = new Map(); // step -> family -> series[]
  for (const series of state.series.values()) {
    if (series.name.startsWith("eval/")) continue;
    const fam = family(series.name);
    if (!groups.has(series.step)) groups.set(series.step, new Map());
    const byFamily = groups.get(series.step);
    if (!byFamily.has(fam)) byFamily.set(fam, []);
    byFamily.get(fam).push(series);
  }
  document.getElementById("charts-card").hidden = groups.size === 0;
  host.replaceChildren(
    ...[...groups].map(([step, byFamily]) =>
      h(
        "div",
        { class: "chart-group" },
        h("h4", {}, step),
        h(
          "div",
          { class: "chart-grid" },
          ...[...byFamily].sort(([a], [b]) => a.localeCompare(b)).map(([fam, list]) => chart(fam, list)),
        ),
      )
    ),
  );
}

function chart(title, list) {
  const W = 320, H = 170, L = 46, R = 10, T = 10, B = 24;
  const all = list.flatMap((sr) => sr.points);
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]).filter(Number.isFinite);
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const ticks = [y0 + pad, (y0 + y1) / 2, y1 - pad];
  const sorted = [...list].sort((a, b) => a.name.localeCompare(b.name));
  const svg = s(
    "svg",
    { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title },
    ticks.map((t) => [
      s("line", { class: "grid", x1: L, x2: W - R, y1: py(t), y2: py(t) }),
      s("text", { class: "tick", x: L - 6, y: py(t) + 4, "text-anchor": "end" }, number(t)),
    ]),
    s("text", { class: "tick", x: L, y: H - 6 }, number(x0)),
    s("text", { class: "tick", x: W - R, y: H - 6, "text-anchor": "end" }, number(x1)),
    sorted.map((sr, i) =>
      s("polyline", {
        class: "line",
        stroke: COLORS[i % COLORS.length],
        points: sr.points.filter((p) => Number.isFinite(p[1])).map((p) =>
          `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`
        ).join(" "),
      })
    ),
  );
  const legend = h(
    "div",
    { class: "legend" },
    sorted.map((sr, i) => {
      const lastPoint = sr.points[sr.points.length - 1];
      const swatch = h("i");
      swatch.style.background = COLORS[i % COLORS.length]; // CSSOM: allowed by the page's CSP
      return h("span", {}, swatch, `${sr.name} `, h("b", {}, number(lastPoint?.[1])));
    }),
  );
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), svg, legend);
}

// ---------- self-correction table ----------

function renderEvalTable() {
  const host = document.getElementById("eval");
  if (!host) return;
  const rows = state.run.stepList
    .map((st) => [st.id, Object.entries(st.metrics).filter(([name]) => name.startsWith("eval/"))])
    .filter(([, metrics]) => metrics.length > 0);
  document.getElementById("eval-card").hidden = rows.length === 0;
  const columns = [...new Set(rows.flatMap(([, metrics]) => metrics.map(([name]) => name)))].sort();
  host.replaceChildren(
    h(
      "table",
      { class: "eval" },
      h(
        "thead",
        {},
        h("tr", {}, h("th", {}, "Step"), columns.map((c) => h("th", { class: "num" }, c.slice(5)))),
      ),
      h(
        "tbody",
        {},
        rows.map(([step, metrics]) => {
          const values = new Map(metrics.map(([name, point]) => [name, point.value]));
          return h(
            "tr",
            {},
            h("td", { class: "step-name" }, step),
            columns.map((c) => {
              const v = values.get(c);
              // A rise in a delta is good, except for correct -> incorrect flips.
              const good = /delta/i.test(c) && !/c[_-]?(to|->)[_-]?i\b/i.test(c) ? 1 : 0;
              const sign = good && v !== undefined ? (v > 0 ? "up" : v < 0 ? "down" : "") : "";
              return h("td", { class: `num ${sign}` }, v === undefined ? "" : number(v));
            }),
          );
        }),
      ),
    ),
  );
}

// ---------- records ----------

async function showRecords(stepId, offset) {
  state.records = { stepId, offset };
  const card = document.getElementById("records-card");
  const host = document.getElementById("records");
  try {
    const page = await api(
      `/api/runs/${encodeURIComponent(state.runId)}/steps/${
        encodeURIComponent(stepId)
      }/records?offset=${offset}&limit=20`,
    );
    card.hidden = false;
    const last = Math.min(page.total, offset + page.records.length);
    host.replaceChildren(
      h(
        "div",
        { class: "records-head" },
        h("h3", {}, `Records of ${stepId} · ${page.output}`),
        h("span", { class: "muted" }, page.total ? `${offset + 1}–${last} of ${page.total}` : "none yet"),
        h(
          "button",
          { disabled: offset === 0, onclick: () => showRecords(stepId, Math.max(0, offset - 20)) },
          "‹ Prev",
        ),
        h(
          "button",
          { disabled: last >= page.total, onclick: () => showRecords(stepId, offset + 20) },
          "Next ›",
        ),
        h("button", {
          class: "link",
          onclick: () => {
            state.records = null;
            card.hidden = true;
          },
        }, "close"),
      ),
      h(
        "ol",
        { class: "records", start: offset + 1 },
        page.records.map((r) => h("li", {}, h("code", {}, JSON.stringify(r)))),
      ),
    );
  } catch (error) {
    toast(error.message);
  }
}

// ---------- navigation ----------

async function route() {
  const match = location.hash.match(/run=([^&]+)/);
  const wanted = match ? decodeURIComponent(match[1]) : state.runs[0]?.id ?? null;
  if (!wanted || wanted === state.runId) return;
  state.runId = wanted;
  state.records = null;
  for (const li of document.querySelectorAll("#runs li")) {
    li.classList.toggle("selected", li.querySelector("a")?.dataset.run === wanted);
  }
  await loadRun(wanted, true).catch((error) => toast(error.message));
}

async function start() {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = document.getElementById("token").value.trim();
    sessionStorage.setItem("pipeline-token", state.token);
    document.getElementById("token-form").hidden = true;
    start();
  });
  globalThis.addEventListener("hashchange", route);
  try {
    await loadRuns();
    await route();
  } catch (error) {
    toast(error.message);
  }
  // Rates and ETAs come from the server; refresh them while a run is running.
  clearInterval(start.timer);
  start.timer = setInterval(() => {
    loadRuns().catch(() => {});
    if (state.run?.status === "running") refetchSoon(0);
  }, 3000);
}

start();
