/**
 * Normalises a LaTeX answer string before it is compared: layout commands, text wrappers, units, degrees,
 * percent and dollar signs, thousands separators, trailing punctuation and `\frac12`-style shorthands.
 *
 * @module
 */
import { braceGroup } from "./extract.ts";

/** Unit words dropped after a number (the problem's own words are added per check). */
const UNIT_WORDS = new Set([
  "unit",
  "units",
  "sq",
  "square",
  "cubic",
  "cm",
  "mm",
  "km",
  "inch",
  "inches",
  "ft",
  "foot",
  "feet",
  "yd",
  "yard",
  "yards",
  "mile",
  "miles",
  "meter",
  "meters",
  "metre",
  "metres",
  "centimeter",
  "centimeters",
  "kilometer",
  "kilometers",
  "mph",
  "degree",
  "degrees",
  "radian",
  "radians",
  "cent",
  "cents",
  "dollar",
  "dollars",
  "second",
  "seconds",
  "minute",
  "minutes",
  "hour",
  "hours",
  "hr",
  "day",
  "days",
  "week",
  "weeks",
  "month",
  "months",
  "year",
  "years",
  "gram",
  "grams",
  "kg",
  "pound",
  "pounds",
  "lb",
  "lbs",
  "ounce",
  "ounces",
  "oz",
  "liter",
  "liters",
  "ml",
  "gallon",
  "gallons",
  "people",
  "students",
  "ways",
  "times",
  "percent",
  "points",
  "page",
  "pages",
]);

/** Words after a number in a problem that are not units. */
const NOT_UNITS = new Set([
  "and",
  "the",
  "for",
  "are",
  "but",
  "with",
  "from",
  "that",
  "then",
  "than",
  "has",
  "have",
]);

/** Commands whose argument is kept as plain text. */
const TEXT_WRAPPERS =
  /\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|mbox|hbox|boldsymbol|operatorname)\s*\{/;

/** Options for {@link normalizeAnswer}. */
export interface NormalizeOptions {
  /** The problem text; its words that follow numbers count as units to drop. */
  problem?: string;
}

/** Words the problem places right after a number (for example "15 dogs"), treated as its units. */
export function problemUnits(problem: string | undefined): Set<string> {
  const units = new Set<string>();
  if (!problem) return units;
  for (const match of problem.matchAll(/\d\s*(?:\\text\{\s*)?([a-zA-Z]{3,})/g)) {
    const word = match[1].toLowerCase();
    if (!NOT_UNITS.has(word)) units.add(word);
  }
  return units;
}

/** Rewrites `\frac12`, `\frac 34`, `\frac9{19}` and `\sqrt3` into their braced forms. */
export function fixShorthands(text: string): string {
  const single = String.raw`(\{[^{}]*\}|\\[a-zA-Z]+|[0-9a-zA-Z])`;
  let out = text.replace(
    new RegExp(String.raw`\\sqrt\s*(?!\[)` + single, "g"),
    (_, a) => `\\sqrt${brace(a)}`,
  );
  out = out.replace(new RegExp(String.raw`\\frac\s*` + single + String.raw`\s*` + single, "g"), (_, a, b) => {
    return `\\frac${brace(a)}${brace(b)}`;
  });
  return out;
}

function brace(arg: string): string {
  return arg.startsWith("{") ? arg : `{${arg}}`;
}

/** Replaces every `\cmd{X}` wrapper (brace-balanced) by `X`. */
export function unwrapTextCommands(text: string): string {
  let out = text;
  for (let match = TEXT_WRAPPERS.exec(out); match; match = TEXT_WRAPPERS.exec(out)) {
    const open = match.index + match[0].length - 1;
    const group = braceGroup(out, open);
    if (!group) break;
    out = out.slice(0, match.index) + group.content + out.slice(group.end);
  }
  return out;
}

/** Drops unit words (with an optional `^2`/`^3`) that follow a number or closing bracket at the end. */
export function stripUnits(text: string, units: ReadonlySet<string>): string {
  let out = text;
  for (let round = 0; round < 3; round++) {
    const match = /^(.*?[\d}).\s])\s*([a-zA-Z]+(?:\s+[a-zA-Z]+)?)\s*(?:\^\{?[23]\}?)?\s*$/.exec(out);
    if (!match) break;
    const words = match[2].toLowerCase().split(/\s+/);
    if (!words.every((word) => UNIT_WORDS.has(word) || units.has(word))) break;
    out = match[1].trim();
  }
  return out;
}

/** Removes thousands separators when the whole answer is one grouped number such as `1,000` or `10,080.5`. */
export function stripThousands(text: string): string {
  const compact = text.replace(/\{,\}/g, ",");
  return /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/.test(compact) ? compact.replace(/,/g, "") : text;
}

/** The normalised answer and what was removed on the way. */
export interface NormalizedAnswer {
  /** The answer with layout, wrappers, units and signs removed. */
  text: string;
  /** True when a percent sign was removed. */
  percent: boolean;
}

/** Normalises an answer string (see the module doc); never throws. */
export function normalizeAnswer(raw: string, options: NormalizeOptions = {}): NormalizedAnswer {
  let text = raw.trim();
  text = text.replace(/,\\!\s*/g, ",").replace(/\{,\}/g, ",");
  text = text.replace(/\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])\s*/g, "");
  text = text.replace(/\\(?:displaystyle|!|,|;|:|quad|qquad)|~/g, " ").replace(/(?<!\\)\\ /g, " ");
  text = text.replace(/\\[dt]frac/g, "\\frac").replace(/\\over(?![a-zA-Z])/g, "/");
  text = text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°/g, "");
  const percent = /\\?%/.test(text) || /\\text\{\s*percent\s*\}/.test(text);
  text = text.replace(/\\?%/g, "").replace(/\\\$|\$/g, "");
  text = unwrapTextCommands(text);
  text = stripUnits(text, problemUnits(options.problem));
  text = text.replace(/^\s*(?:or|and)\s+/i, "");
  text = text.replace(/(?:\\\.|[.,;:\s])+$/, "").trim();
  text = fixShorthands(text);
  text = stripThousands(text.replace(/\s+/g, " ").trim());
  return { text, percent };
}
