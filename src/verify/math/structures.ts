/**
 * Reads a normalised answer into a structure: an expression, an equation, an ordered tuple or interval, an
 * unordered list or set, a union of intervals (inequalities become intervals), a matrix, a multiple-choice
 * letter, a base-n numeral or plain text. `\pm` expands into the two answers it stands for. The empty set has
 * many spellings (`\emptyset`, `\{\}`, "no solution", "does not exist"), and so has the real line
 * (`\mathbb{R}`, "all real numbers"); `\mathbb{R} \setminus \{2\}` and `x \neq 2` are unions of intervals.
 *
 * @module
 */

import { canonicalUnion, intersectAll, type Interval, type IntervalEnd, REAL_LINE } from "./_sets.ts";

export type { Interval, IntervalEnd };

/** A structured answer. */
export type Answer =
  | { kind: "expr"; latex: string }
  | { kind: "equation"; parts: string[] }
  | { kind: "bracket"; open: string; close: string; items: Answer[] }
  | { kind: "list"; items: Answer[] }
  | { kind: "set"; items: Answer[] }
  | { kind: "union"; intervals: Interval[] }
  | { kind: "matrix"; rows: Answer[][] }
  | { kind: "choice"; letters: string; option?: string }
  | { kind: "base"; digits: string; base: number }
  | { kind: "text"; text: string };

const OPENERS = "([{";
const CLOSERS = ")]}";

/** Splits `text` at top-level occurrences of `separator` (outside any bracket or brace). */
export function splitTopLevel(text: string, separator: string | RegExp): string[] {
  const parts: string[] = [];
  const length = separatorMatcher(separator);
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
    else if (depth === 0) {
      const matched = length(text, i);
      if (matched > 0) {
        parts.push(text.slice(start, i));
        start = i + matched;
        i = start - 1;
      }
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

/** The length of the separator at a position (0 when none): plain strings here, commands are matched above. */
function separatorMatcher(separator: string | RegExp): (text: string, index: number) => number {
  if (typeof separator === "string") {
    if (separator.startsWith("\\")) return () => 0;
    return (text, index) => text.startsWith(separator, index) ? separator.length : 0;
  }
  const sticky = new RegExp(separator.source, separator.flags.replace(/[gy]/g, "") + "y");
  return (text, index) => {
    sticky.lastIndex = index;
    return sticky.exec(text)?.[0].length ?? 0;
  };
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
  return readEmpty(trimmed) ?? readSetBuilder(trimmed) ?? readPm(trimmed) ?? readAlternatives(trimmed) ??
    readUnion(trimmed) ?? readStructure(trimmed);
}

/** Spellings of the empty set, as answers to "solve" or "find the limit" ("does not exist"). */
const EMPTY_SET = new RegExp(
  [
    String.raw`\\emptyset|\\varnothing|\\\{\s*\\\}|\{\s*\}`,
    String.raw`(?:the\s+)?empty\s+set|none|dne|nonexistent`,
    String.raw`(?:there\s+(?:is|are)\s+|(?:the\s+)?(?:[a-z]+\s+)?(?:has|have)\s+)?no\s+` +
    String.raw`(?:(?:real|integer|integral|positive|possible|valid|such)\s+)*` +
    String.raw`(?:solutions?|roots?|values?|answers?|numbers?|zeros?|points?|pairs?|x)` +
    String.raw`(?:\s+(?:of|for)\s+[a-z])?(?:\s+exists?)?`,
    String.raw`(?:(?:it|the\s+limit)\s+)?(?:does|do)\s*(?:n't|\s+not)\s+exists?`,
  ].map((form) => `^(?:${form})$`).join("|"),
  "i",
);

function readEmpty(text: string): Answer | null {
  return EMPTY_SET.test(text) ? { kind: "set", items: [] } : null;
}

/** The intervals of each answer when every one is a set of reals, else null. */
function unionsOf(answers: Answer[]): Interval[][] | null {
  const unions = answers.flatMap((answer) => answer.kind === "union" ? [answer.intervals] : []);
  return unions.length === answers.length ? unions : null;
}

/**
 * `\{x \mid x > 2\}`, `\{x \in \mathbb{R} : x \neq 2\}`: the set of reals that its domain and conditions, all
 * together, describe; null when a condition is not a set of reals.
 */
function readSetBuilder(text: string): Answer | null {
  const builder = /^\\\{\s*[a-zA-Z]\s*(?:\\in\s*(.+?))?\s*(?:\\mid|\||:|\\colon)\s*(.+)\\\}$/.exec(text);
  if (!builder) return null;
  const parts = [...(builder[1] ? [builder[1]] : []), ...splitTopLevel(builder[2], /,|\s+and\s+/)];
  const unions = unionsOf(parts.map((part) => readAnswer(part)));
  const all = unions && intersectAll(unions);
  return all ? { kind: "union", intervals: all } : null;
}

/** `a \pm b` becomes the unordered pair a + b, a - b; `(\pm 1, 0)` the pair of tuples. */
function readPm(text: string): Answer | null {
  const match = /\\(?:pm|mp)(?![a-zA-Z])/.exec(text);
  if (!match || /^\\\{/.test(text)) return null;
  const before = text.slice(0, match.index);
  const after = text.slice(match.index + match[0].length);
  const insideTuple = spansWhole(text) && /^[([]/.test(text);
  if (!insideTuple && !/^\s*$|[=(,]\s*$/.test(before) && splitTopLevel(text, ",").length > 1) return null;
  return { kind: "list", items: [readAnswer(`${before}+${after}`), readAnswer(`${before}-${after}`)] };
}

/**
 * Answers separated by top-level commas, "or" or "and" form an unordered list. When every part is a set of
 * reals (an inequality, an interval union), they form one set instead: their intersection when they are
 * joined by "and" or are all `x \neq a`, else their union.
 */
function readAlternatives(text: string): Answer | null {
  const parts = splitTopLevel(text, /,|\s+or\s+|\s+and\s+/).filter((part) => part !== "");
  if (parts.length < 2) return null;
  const items = parts.map((part) => readAnswer(part));
  const unions = unionsOf(items);
  if (!unions) return { kind: "list", items };
  const andOnly = splitTopLevel(text, /,|\s+or\s+/).length === 1;
  const exclusions = parts.every((part) => NOT_EQUAL.test(part));
  const combined = andOnly || exclusions ? intersectAll(unions) : canonicalUnion(unions.flat());
  return combined ? { kind: "union", intervals: combined } : { kind: "list", items };
}

/** The real line: `\mathbb{R}`, `\R`, "all real numbers". */
const REALS =
  /^(?:\\mathbb\s*\{?\s*R\s*\}?|\\R|\\Bbb\s*\{?\s*R\s*\}?|(?:the\s+set\s+of\s+)?all\s+(?:real(?:s|\s+numbers?|\s+values?)?(?:\s+(?:of\s+)?x)?|x)|(?:every|any)\s+real\s+number)$/i;
/** The real line without a set of points: `\mathbb{R} \setminus \{2\}`, `\mathbb{R} - \{2\}`. */
const REALS_MINUS = /^(.*?)\s*(?:\\setminus|\\smallsetminus|\\backslash|-)\s*\\\{(.*)\\\}$/;
/** "all real numbers except 2 and 3". */
const REALS_EXCEPT = /^(.*?)\s+except(?:\s+for)?\s+(.+)$/i;
/** `x \neq a`. */
const NOT_EQUAL = /^[a-zA-Z]\s*(?:\\neq?|\\not\s*=|≠|!=)\s*(.+)$/;

/** The real line, the real line without points, or `x \neq a`, as sorted intervals; null otherwise. */
function readReals(text: string): Interval[] | null {
  if (REALS.test(text)) return [REAL_LINE];
  const except = REALS_MINUS.exec(text) ?? REALS_EXCEPT.exec(text);
  if (except && REALS.test(except[1].trim())) {
    const points = splitTopLevel(except[2], /,|\s+and\s+|\s+or\s+/).filter((point) => point !== "")
      .map((point) => point.replace(/^[a-zA-Z]\s*=\s*/, ""));
    return canonicalUnion([REAL_LINE], points);
  }
  const notEqual = NOT_EQUAL.exec(text);
  return notEqual ? canonicalUnion([REAL_LINE], [notEqual[1].trim()]) : null;
}

/** Intervals joined by `\cup`, an inequality, or the real line (without points) become a union of intervals. */
function readUnion(text: string): Answer | null {
  const parts = splitTopLevel(text, "\\cup");
  const intervals = parts.map((part) => {
    const single = readInterval(part);
    return single ? [single] : readInequality(part) ?? readReals(part);
  });
  if (intervals.some((interval) => interval === null)) return null;
  if (parts.length === 1 && readInterval(text) !== null) return null;
  const flat = intervals.flat() as Interval[];
  return { kind: "union", intervals: canonicalUnion(flat) ?? flat };
}

function readInterval(text: string): Interval | null {
  if (!/^[([]/.test(text) || !/[)\]]$/.test(text) || !spansWhole(text)) return null;
  const items = splitTopLevel(text.slice(1, -1), ",");
  if (items.length !== 2) return null;
  return {
    low: { bound: items[0], closed: text[0] === "[" },
    high: { bound: items[1], closed: text.endsWith("]") },
  };
}

/** `a < x \le b`, `x > a`, `a \ge x` as intervals. */
function readInequality(text: string): Interval[] | null {
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

/** A multiple-choice letter: `B`, `(B)`, "option B", or `(B) 24` with the option's text after it. */
const CHOICE =
  /^(?:(?:[Oo]ption|[Cc]hoice)\s+)?(?:\(\s*([A-E])\s*\)|\[\s*([A-E])\s*\]|([A-E])\)?)$|^\(?([A-E])\)\s+(\S.*)$|^\(([a-e])\)$/;

/** Matrices, sets, tuples, equations, choices, base-n numerals, text and expressions. */
function readStructure(text: string): Answer {
  const wrapped = /^[[(]\s*(\\begin\{[\s\S]*\\end\{\w+\})\s*[)\]]$/.exec(text);
  if (wrapped) return readStructure(wrapped[1]);
  const matrix = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/.exec(
    text,
  );
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
  const choice = CHOICE.exec(text);
  if (choice) {
    const letters = (choice[1] ?? choice[2] ?? choice[3] ?? choice[4] ?? choice[6]).toUpperCase();
    return choice[5] ? { kind: "choice", letters, option: choice[5] } : { kind: "choice", letters };
  }
  const base = /^([0-9A-Z]+)_\{?(\d+)\}?$/.exec(text);
  if (base) return { kind: "base", digits: base[1], base: Number(base[2]) };
  const parts = splitTopLevel(text, "=");
  if (parts.length > 1 && parts.every((part) => part !== "")) return { kind: "equation", parts };
  if (/^[a-zA-Z][a-zA-Z' -]*[a-zA-Z]$/.test(text) && /[a-zA-Z]{3}/.test(text)) {
    return { kind: "text", text: text.toLowerCase().replace(/\s+/g, " ") };
  }
  return { kind: "expr", latex: text };
}
