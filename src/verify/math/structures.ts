/**
 * Reads a normalised answer into a structure: an expression, an equation, an ordered tuple or interval, an
 * unordered list or set, a union of intervals (inequalities become intervals), a matrix, a multiple-choice
 * letter, a base-n numeral or plain text. `\pm` expands into the two answers it stands for.
 *
 * @module
 */

/** One end of an interval: its bound (LaTeX) and whether it is included. */
export interface IntervalEnd {
  bound: string;
  closed: boolean;
}

/** A structured answer. */
export type Answer =
  | { kind: "expr"; latex: string }
  | { kind: "equation"; parts: string[] }
  | { kind: "bracket"; open: string; close: string; items: Answer[] }
  | { kind: "list"; items: Answer[] }
  | { kind: "set"; items: Answer[] }
  | { kind: "union"; intervals: { low: IntervalEnd; high: IntervalEnd }[] }
  | { kind: "matrix"; rows: Answer[][] }
  | { kind: "choice"; letters: string }
  | { kind: "base"; digits: string; base: number }
  | { kind: "text"; text: string };

const OPENERS = "([{";
const CLOSERS = ")]}";

/** Splits `text` at top-level occurrences of `separator` (outside any bracket or brace). */
export function splitTopLevel(text: string, separator: string | RegExp): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === "\\" && /[a-zA-Z]/.test(text[i + 1] ?? "")) {
      const name = /^\\[a-zA-Z]+/.exec(text.slice(i))![0];
      if (depth === 0 && typeof separator === "string" && name === separator) {
        parts.push(text.slice(start, i));
        start = i + name.length;
      }
      if (name === "\\begin") depth++;
      if (name === "\\end") depth--;
      i += name.length - 1;
      continue;
    }
    if (char === "\\") {
      i++;
      if (OPENERS.includes(text[i])) depth++;
      else if (CLOSERS.includes(text[i])) depth--;
      continue;
    }
    if (OPENERS.includes(char)) depth++;
    else if (CLOSERS.includes(char)) depth--;
    else if (depth === 0 && matchesAt(text, i, separator)) {
      parts.push(text.slice(start, i));
      start = i + separatorLength(text, i, separator);
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function matchesAt(text: string, index: number, separator: string | RegExp): boolean {
  if (typeof separator === "string") return !separator.startsWith("\\") && text.startsWith(separator, index);
  return separatorLength(text, index, separator) > 0;
}

function separatorLength(text: string, index: number, separator: string | RegExp): number {
  if (typeof separator === "string") return separator.length;
  const match = new RegExp(`^(?:${separator.source})`, separator.flags).exec(text.slice(index));
  return match ? match[0].length : 0;
}

/** True when `text` is wrapped by one bracket pair that spans all of it (such as `(1,2)` but not `(1)(2)`). */
function spansWhole(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") {
      i++;
      continue;
    }
    if (OPENERS.includes(text[i])) depth++;
    else if (CLOSERS.includes(text[i])) depth--;
    if (depth === 0 && i < text.length - 1) return false;
  }
  return depth === 0;
}

const INEQUALITY = /\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])|\\lt(?![a-zA-Z])|\\gt(?![a-zA-Z])|<=?|>=?|≤|≥/g;

/** Reads a normalised answer string into an {@link Answer}. */
export function readAnswer(text: string): Answer {
  const trimmed = text.trim().replace(/^[a-zA-Z]\s*\\in\s*/, "");
  return readPm(trimmed) ?? readAlternatives(trimmed) ?? readUnion(trimmed) ?? readStructure(trimmed);
}

/** `a \pm b` becomes the unordered pair a + b, a - b. */
function readPm(text: string): Answer | null {
  const match = /\\(?:pm|mp)(?![a-zA-Z])/.exec(text);
  if (!match || /^\\\{/.test(text) || spansWhole(text) && /^[([]/.test(text)) return null;
  const before = text.slice(0, match.index);
  const after = text.slice(match.index + match[0].length);
  if (!/^\s*$|[=(,]\s*$/.test(before) && splitTopLevel(text, ",").length > 1) return null;
  return { kind: "list", items: [readAnswer(`${before}+${after}`), readAnswer(`${before}-${after}`)] };
}

/** Answers separated by top-level commas, "or" or "and" form an unordered list. */
function readAlternatives(text: string): Answer | null {
  const parts = splitTopLevel(text, /,|\s+or\s+|\s+and\s+/).filter((part) => part !== "");
  if (parts.length < 2) return null;
  return { kind: "list", items: parts.map((part) => readAnswer(part)) };
}

/** Intervals joined by `\cup`, or an inequality, become a union of intervals. */
function readUnion(text: string): Answer | null {
  const parts = splitTopLevel(text, "\\cup");
  const intervals = parts.map((part) => readInterval(part) ?? readInequality(part));
  if (intervals.some((interval) => interval === null)) return null;
  if (parts.length === 1 && readInterval(text) !== null) return null;
  return { kind: "union", intervals: intervals.flat() as { low: IntervalEnd; high: IntervalEnd }[] };
}

function readInterval(text: string): { low: IntervalEnd; high: IntervalEnd } | null {
  if (!/^[([]/.test(text) || !/[)\]]$/.test(text) || !spansWhole(text)) return null;
  const items = splitTopLevel(text.slice(1, -1), ",");
  if (items.length !== 2) return null;
  return {
    low: { bound: items[0], closed: text[0] === "[" },
    high: { bound: items[1], closed: text.endsWith("]") },
  };
}

/** `a < x \le b`, `x > a`, `a \ge x` as intervals. */
function readInequality(text: string): { low: IntervalEnd; high: IntervalEnd }[] | null {
  const operators = [...text.matchAll(INEQUALITY)].map((match) => match[0]);
  if (operators.length === 0 || operators.length > 2) return null;
  const sides = text.split(INEQUALITY).map((side) => side.trim());
  const variableIndex = sides.findIndex((side) => /^[a-zA-Z]$/.test(side));
  if (variableIndex < 0 || sides.some((side) => side === "")) return null;
  const low: IntervalEnd = { bound: "-\\infty", closed: false };
  const high: IntervalEnd = { bound: "\\infty", closed: false };
  for (let k = 0; k < operators.length; k++) {
    const less = /<|\\l|≤/.test(operators[k]);
    const closed = /=|\\leq?|\\geq?|≤|≥/.test(operators[k]) && !/\\[lg]t/.test(operators[k]);
    const variableOnLeft = k === variableIndex;
    const other = variableOnLeft ? sides[k + 1] : sides[k];
    if (!variableOnLeft && k + 1 !== variableIndex) return null;
    const end = less === variableOnLeft ? high : low;
    end.bound = other;
    end.closed = closed;
  }
  return [{ low, high }];
}

/** Matrices, sets, tuples, equations, choices, base-n numerals, text and expressions. */
function readStructure(text: string): Answer {
  const wrapped = /^[[(]\s*(\\begin\{[\s\S]*\\end\{\w+\})\s*[)\]]$/.exec(text);
  if (wrapped) return readStructure(wrapped[1]);
  const matrix = /^\\begin\{([pbBvV]?matrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(text);
  if (matrix) {
    const rows = matrix[2].split(/\\\\/).map((row) => row.trim()).filter((row) => row !== "");
    return { kind: "matrix", rows: rows.map((row) => row.split("&").map((cell) => readAnswer(cell))) };
  }
  if (/^\\\{[\s\S]*\\\}$/.test(text)) {
    const inner = text.slice(2, -2).trim();
    return {
      kind: "set",
      items: inner === "" ? [] : splitTopLevel(inner, ",").map((item) => readAnswer(item)),
    };
  }
  if (/^[([][\s\S]*[)\]]$/.test(text) && spansWhole(text)) {
    const items = splitTopLevel(text.slice(1, -1), ",");
    if (items.length > 1) {
      return {
        kind: "bracket",
        open: text[0],
        close: text.at(-1)!,
        items: items.map((item) => readAnswer(item)),
      };
    }
  }
  const choice = /^\(?([A-E])\)?$/.exec(text);
  if (choice) return { kind: "choice", letters: choice[1] };
  const base = /^([0-9A-Z]+)_\{?(\d+)\}?$/.exec(text);
  if (base) return { kind: "base", digits: base[1], base: Number(base[2]) };
  const parts = splitTopLevel(text, "=");
  if (parts.length > 1 && parts.every((part) => part !== "")) return { kind: "equation", parts };
  if (/^[a-zA-Z][a-zA-Z' -]*[a-zA-Z]$/.test(text) && /[a-zA-Z]{3}/.test(text)) {
    return { kind: "text", text: text.toLowerCase().replace(/\s+/g, " ") };
  }
  return { kind: "expr", latex: text };
}
