// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The step graph: one node per declared step (a matrix step's instances share one node, with their count
 * and combined progress), laid out top-down by dependency depth, each depth's nodes wrapped into rows that
 * fit the panel's width, so the graph never overflows sideways. `layoutGraph` is pure (tested from Deno).
 *
 * @module
 */
import { s } from "./dom.js";

/** @typedef {import("../schemas.ts").StepSummary} StepSummary */
/**
 * @typedef {object} StepGroup A declared step and its instances.
 * @property {string} id
 * @property {string} kind
 * @property {string[]} needs the declared steps its instances wait for
 * @property {StepSummary[]} steps
 * @property {string} status
 * @property {number} percent 0..100
 */
/** @typedef {{ x: number, y: number }} Point */
/**
 * @typedef {object} GraphLayout
 * @property {number} width
 * @property {number} height
 * @property {number} nodeWidth
 * @property {Map<string, Point>} nodes top-left corner of each group's node
 * @property {{ from: string, to: string, d: string }[]} edges SVG paths from a need to its dependent
 */

/** Node size and spacing, in pixels. */
export const NODE = { width: 184, height: 62, gapX: 16, gapY: 34, rowGap: 12, pad: 8 };

/**
 * How far a step is, in percent.
 * @param {StepSummary} step
 * @returns {number}
 */
export function percent(step) {
  if (step.status === "done" || step.status === "cached") return 100;
  if (!step.itemsTotal) return 0;
  return Math.min(100, (100 * step.itemsDone) / step.itemsTotal);
}

/**
 * The state a group shows: failed, running or interrupted if any instance is; done or cached when all are.
 * @param {StepSummary[]} steps
 * @returns {string}
 */
export function groupStatus(steps) {
  for (const state of ["failed", "running", "interrupted", "pending"]) {
    if (steps.some((step) => step.status === state)) return state;
  }
  return steps.every((step) => step.status === "cached") ? "cached" : "done";
}

/**
 * Groups a run's steps by declared step, in order of first appearance.
 * @param {StepSummary[]} steps
 * @returns {StepGroup[]}
 */
export function groupSteps(steps) {
  /** @type {Map<string, StepSummary[]>} */
  const byGroup = new Map();
  for (const step of steps) byGroup.set(step.group, [...(byGroup.get(step.group) ?? []), step]);
  const groupOf = new Map(steps.map((step) => [step.id, step.group]));
  return [...byGroup].map(([id, members]) => ({
    id,
    kind: members[0].kind,
    needs: [...new Set(members.flatMap((step) => step.needs.map((need) => groupOf.get(need) ?? need)))],
    steps: members,
    status: groupStatus(members),
    percent: members.reduce((sum, step) => sum + percent(step), 0) / members.length,
  }));
}

/**
 * Each group's depth: one more than its deepest need; a step without needs sits just above its first
 * dependent (so data steps are drawn next to what reads them, not all at the top).
 * @param {StepGroup[]} groups
 * @returns {Map<string, number>}
 */
function depths(groups) {
  const byId = new Map(groups.map((group) => [group.id, group]));
  /** @type {Map<string, number>} */
  const depth = new Map();
  /** @param {string} id @param {Set<string>} seen @returns {number} */
  const depthOf = (id, seen) => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const needs = (byId.get(id)?.needs ?? []).filter((need) => byId.has(need));
    const d = needs.length ? 1 + Math.max(...needs.map((need) => depthOf(need, seen))) : 0;
    depth.set(id, d);
    return d;
  };
  for (const group of groups) depthOf(group.id, new Set());
  for (const group of groups) {
    if (group.needs.some((need) => byId.has(need))) continue;
    const below = groups.filter((other) => other.needs.includes(group.id)).map((other) =>
      depth.get(other.id) ?? 1
    );
    if (below.length) depth.set(group.id, Math.max(0, Math.min(...below) - 1));
  }
  return depth;
}

/**
 * Orders a level's groups by where their needs were placed (the mean x of their needs' centres), which
 * uncrosses most edges; groups without placed needs keep their order, after the others.
 * @param {StepGroup[]} level
 * @param {Map<string, Point>} placed
 * @returns {StepGroup[]}
 */
function byNeeds(level, placed) {
  /** @param {StepGroup} group */
  const centre = (group) => {
    const xs = group.needs.flatMap((need) =>
      placed.has(need) ? [/** @type {Point} */ (placed.get(need)).x] : []
    );
    return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Infinity;
  };
  return level.map((group, index) => ({ group, index, at: centre(group) }))
    .sort((a, b) => a.at - b.at || a.index - b.index).map((entry) => entry.group);
}

/**
 * Places the groups in `width` pixels: depth levels from top to bottom, each level's nodes in rows of as
 * many as fit, centred.
 * @param {StepGroup[]} groups
 * @param {number} width
 * @returns {GraphLayout}
 */
export function layoutGraph(groups, width) {
  const { gapX, pad } = NODE;
  const nodeWidth = Math.max(96, Math.min(NODE.width, width - 2 * pad));
  const perRow = Math.max(1, Math.floor((width - 2 * pad + gapX) / (nodeWidth + gapX)));
  const depth = depths(groups);
  /** @type {Map<number, StepGroup[]>} */
  const levels = new Map();
  for (const group of groups) {
    const d = depth.get(group.id) ?? 0;
    levels.set(d, [...(levels.get(d) ?? []), group]);
  }
  /** @type {Map<string, Point>} */
  const nodes = new Map();
  let y = pad;
  for (const d of [...levels.keys()].sort((a, b) => a - b)) {
    const level = byNeeds(levels.get(d) ?? [], nodes);
    for (let start = 0; start < level.length; start += perRow) {
      const row = level.slice(start, start + perRow);
      const rowWidth = row.length * nodeWidth + (row.length - 1) * gapX;
      const x0 = Math.max(pad, (width - rowWidth) / 2);
      row.forEach((group, i) => nodes.set(group.id, { x: x0 + i * (nodeWidth + gapX), y }));
      y += NODE.height + (start + perRow < level.length ? NODE.rowGap : NODE.gapY);
    }
  }
  const edges = groups.flatMap((group) =>
    group.needs.filter((need) => nodes.has(need)).map((need) => {
      const a = /** @type {Point} */ (nodes.get(need));
      const b = /** @type {Point} */ (nodes.get(group.id));
      const x1 = a.x + nodeWidth / 2, y1 = a.y + NODE.height, x2 = b.x + nodeWidth / 2, y2 = b.y;
      const mid = (y1 + y2) / 2;
      return { from: need, to: group.id, d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}` };
    })
  );
  return { width, height: Math.max(y - NODE.gapY + pad, NODE.height + 2 * pad), nodeWidth, nodes, edges };
}

/**
 * A label cut to about `room` pixels (12 px text), with an ellipsis.
 * @param {string} text
 * @param {number} room
 * @returns {string}
 */
function fit(text, room) {
  const chars = Math.max(4, Math.floor(room / 7));
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/**
 * The second line of a node: its state, and for a matrix step how many instances are done.
 * @param {StepGroup} group
 * @returns {string}
 */
function caption(group) {
  if (group.steps.length === 1) return group.status;
  const finished = group.steps.filter((step) => step.status === "done" || step.status === "cached").length;
  return `${group.status} · ${finished}/${group.steps.length} instances`;
}

/**
 * Draws the graph into `host`, as wide as the host.
 * @param {HTMLElement} host
 * @param {StepSummary[]} steps
 */
export function renderGraph(host, steps) {
  const groups = groupSteps(steps);
  const layout = layoutGraph(groups, Math.max(200, host.clientWidth));
  const bar = layout.nodeWidth - 20;
  const nodes = groups.map((group) => {
    const at = /** @type {Point} */ (layout.nodes.get(group.id));
    const title = group.steps.length > 1 ? `${group.id} ×${group.steps.length}` : group.id;
    return s(
      "g",
      {
        class: `node ${group.status}`,
        "data-group": group.id,
        "data-instances": group.steps.length,
        transform: `translate(${at.x},${at.y})`,
      },
      s("title", {}, `${group.id} (${group.kind}): ${caption(group)}`),
      s("rect", { class: "box", width: layout.nodeWidth, height: NODE.height, rx: 8 }),
      s("text", { x: 10, y: 19, class: "node-name" }, fit(title, layout.nodeWidth - 20)),
      s("rect", { class: "track", x: 10, y: 29, width: bar, height: 8, rx: 4 }),
      s("rect", { class: "fill", x: 10, y: 29, width: (bar * group.percent) / 100, height: 8, rx: 4 }),
      s("text", { x: 10, y: 53, class: "node-state" }, fit(caption(group), layout.nodeWidth - 20)),
    );
  });
  const svg = s(
    "svg",
    {
      class: "graph",
      width: layout.width,
      height: layout.height,
      viewBox: `0 0 ${layout.width} ${layout.height}`,
      role: "img",
      "aria-label": "step graph",
    },
    layout.edges.map((edge) =>
      s("path", { class: "edge", d: edge.d, "data-from": edge.from, "data-to": edge.to })
    ),
    nodes,
  );
  host.replaceChildren(svg);
}

/**
 * Redraws one group's bar after a progress event of one of its steps.
 * @param {StepSummary[]} steps the run's steps (already updated)
 * @param {string} groupId
 */
export function updateGroupProgress(steps, groupId) {
  const node = document.querySelector(`g.node[data-group="${CSS.escape(groupId)}"]`);
  const fill = node?.querySelector("rect.fill");
  const track = node?.querySelector("rect.track");
  if (!fill || !track) return;
  const members = steps.filter((step) => step.group === groupId);
  const pct = members.reduce((sum, step) => sum + percent(step), 0) / Math.max(1, members.length);
  fill.setAttribute("width", String((Number(track.getAttribute("width")) * pct) / 100));
}
