// @ts-check
/// <reference lib="dom" />
/**
 * The records panel: one page of a step's output records at a time.
 *
 * @module
 */
import { api } from "./api.js";
import { h } from "./dom.js";

/** @typedef {import("../schemas.ts").RecordsPage} RecordsPage */

const PAGE = 20;

/**
 * Shows records `offset..offset+20` of a step in `host` (inside `card`); `onClose` hides it.
 * @param {{ card: HTMLElement, host: HTMLElement, runId: string, stepId: string, offset: number, onClose: () => void }} where
 * @returns {Promise<void>}
 */
export async function showRecords({ card, host, runId, stepId, offset, onClose }) {
  /** @type {RecordsPage} */
  const page = await api(
    `/api/runs/${encodeURIComponent(runId)}/steps/${
      encodeURIComponent(stepId)
    }/records?offset=${offset}&limit=${PAGE}`,
  );
  card.hidden = false;
  const last = Math.min(page.total, offset + page.records.length);
  /** @param {number} to */
  const go = (to) => showRecords({ card, host, runId, stepId, offset: to, onClose });
  host.replaceChildren(
    h(
      "div",
      { class: "records-head" },
      h("h3", {}, `Records of ${stepId} · ${page.output}`),
      h("span", { class: "muted" }, page.total ? `${offset + 1}–${last} of ${page.total}` : "none yet"),
      h("button", { disabled: offset === 0, onclick: () => go(Math.max(0, offset - PAGE)) }, "‹ Prev"),
      h("button", { disabled: last >= page.total, onclick: () => go(offset + PAGE) }, "Next ›"),
      h("button", { class: "link", onclick: onClose }, "close"),
    ),
    h(
      "ol",
      { class: "records", start: offset + 1 },
      page.records.map((r) => h("li", {}, h("code", {}, JSON.stringify(r)))),
    ),
  );
}
