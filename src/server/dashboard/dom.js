// @ts-check
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Small DOM helpers: element builders and the toast.
 *
 * @module
 */

/** @typedef {Node | string | number | null | undefined | false | unknown[]} Child (arrays are flattened) */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>} Attrs */

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * @param {Element} el
 * @param {Attrs} attrs
 */
function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else el.setAttribute(key, String(value));
  }
}

/**
 * @param {Child[]} children
 * @returns {(Node | string)[]}
 */
function flat(children) {
  /** @type {(Node | string)[]} */
  const out = [];
  for (const child of children) {
    if (Array.isArray(child)) out.push(...flat(/** @type {Child[]} */ (child)));
    else if (child !== null && child !== undefined && child !== false) {
      out.push(typeof child === "number" ? String(child) : child);
    }
  }
  return out;
}

/**
 * Creates an HTML element; attributes named `on...` with a function value become listeners.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  el.append(...flat(children));
  return el;
}

/**
 * Creates an SVG element.
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {...Child} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(el, attrs);
  el.append(...flat(children));
  return el;
}

/**
 * The element with `id` (the page always has it).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let toastTimer;

/**
 * Shows a message for a few seconds.
 * @param {string} message
 */
export function toast(message) {
  const el = byId("toast");
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (el.hidden = true), 5000);
}
