/**
 * Normalises a LaTeX answer string before it is compared: layout commands, text wrappers, units, degrees,
 * percent and dollar signs, thousands separators, trailing punctuation and `\frac12`-style shorthands.
 *
 * @module
 */
import { problemUnits, stripUnits, stripWrappedUnits } from "./_units.ts";
import { braceGroup } from "./extract.ts";

/** Commands whose argument is kept as plain text. */
const TEXT_WRAPPERS =
  /\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathbf|mathit|mbox|hbox|boldsymbol|vec|overrightarrow|num)\s*\{/;

/** Options for {@link normalizeAnswer}. */
export interface NormalizeOptions {
  /** The problem text; its words that follow numbers count as units to drop. */
  problem?: string;
}

const SINGLE_ARGUMENT = String.raw`(\{[^{}]*\}|\\[a-zA-Z]+|[0-9a-zA-Z])`;
const SQRT_SHORTHAND = new RegExp(String.raw`\\sqrt\s*(?!\[)` + SINGLE_ARGUMENT, "g");
const FRAC_SHORTHAND = new RegExp(
  String.raw`\\frac\s*` + SINGLE_ARGUMENT + String.raw`\s*` + SINGLE_ARGUMENT,
  "g",
);

/** Rewrites `\frac12`, `\frac 34`, `\frac9{19}` and `\sqrt3` into their braced forms. */
export function fixShorthands(text: string): string {
  if (!text.includes("\\sqrt") && !text.includes("\\frac")) return text;
  const out = text.replace(SQRT_SHORTHAND, (_, a) => `\\sqrt${brace(a)}`);
  return out.replace(FRAC_SHORTHAND, (_, a, b) => `\\frac${brace(a)}${brace(b)}`);
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

/** Removes thousands separators when the whole answer is one grouped number such as `1,000` or `10,080.5`. */
export function stripThousands(text: string): string {
  return /^[+-]?\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?:\.\d+)?$/.test(text) ? text.replace(/[, ]/g, "") : text;
}

/**
 * Joins digit groups written with a LaTeX separator, wherever they stand: `1{,}000`, `10,\!080`, `1\,000`
 * and `1\!000` are 1000, also inside tuples such as `(1{,}000, 2)`. A plain `1,000` is left to
 * {@link stripThousands}, since `(1,000)` could be a pair.
 */
export function joinDigitGroups(text: string): string {
  if (!/\d(?:\{,\}|,\\!|\\[,!]|\{\\,\})/.test(text)) return text;
  return text.replace(/(?<=\d)(?:\{,\}|,\\!|\\,|\\!|\{\\,\})\s*(?=\d{3}(?!\d))/g, "");
}

/** The fraction of a repeating decimal with integer part `whole`, digits `fixed`, then `repeat` forever. */
function repeatingFraction(whole: string, fixed: string, repeat: string): string {
  const all = BigInt(whole + fixed + repeat);
  const head = BigInt(whole + fixed);
  const denominator = (10n ** BigInt(repeat.length) - 1n) * 10n ** BigInt(fixed.length);
  return `\\frac{${all - head}}{${denominator}}`;
}

/**
 * Rewrites repeating decimals as fractions: `0.\overline{3}`, `0.1\bar{6}`, `0.\dot{3}`, `1.(3)`, and an
 * ellipsis after a digit written three times or a block of digits written twice (`0.333\ldots`,
 * `0.1666...`, `0.142857142857...`). A bare truncation such as `0.33...` is left alone.
 */
export function repeatingDecimals(text: string): string {
  if (!text.includes(".")) return text;
  const marked = text.replace(
    /(?<![\d.])(\d*)\.(\d*)(?:\\(?:overline|bar|dot|overset\s*\{\s*\.\s*\})\s*\{(\d+)\}|\\(?:bar|dot)\s*(\d)|\((\d+)\)(?![\d.]))/g,
    (_, whole, fixed, braced, single, parenthesised) =>
      repeatingFraction(whole || "0", fixed, braced ?? single ?? parenthesised),
  );
  return marked.replace(
    /(?<![\d.])(\d*)\.(\d*?)(?:(\d)\3{2,}|(\d{2,6})\4+)\s*(?:\\ldots|\\cdots|\\dots|\.\.\.|…)/g,
    (_, whole, fixed, digit, block) => repeatingFraction(whole || "0", fixed, digit ?? block),
  );
}

/** Unicode symbols and plain-text notations rewritten as the LaTeX the parser reads. */
const SYMBOLS: [RegExp, string][] = [
  [/−/g, "-"],
  [/×/g, "\\times "],
  [/·/g, "\\cdot "],
  [/∞/g, "\\infty "],
  [/π/g, "\\pi "],
  [/ℝ/g, "\\mathbb{R}"],
  [/∅/g, "\\emptyset "],
  [/\\infin(?![a-zA-Z])/g, "\\infty"],
  [/\b(?:negative|minus)\s+infinity\b/gi, "-\\infty "],
  [/\b(?:positive\s+)?infinity\b/gi, "\\infty "],
  [/\\(?:langle|lang)(?![a-zA-Z])/g, "("],
  [/\\(?:rangle|rang)(?![a-zA-Z])/g, ")"],
  [/\\[lr]vert(?![a-zA-Z])|\\vert(?![a-zA-Z])/g, "|"],
  [/⩾|\\geqslant(?![a-zA-Z])/g, "\\ge "],
  [/⩽|\\leqslant(?![a-zA-Z])/g, "\\le "],
  [/∪|(?<=[)\]])\s*U\s*(?=[([])/g, "\\cup "],
  // `4.2 x 10^{-4}`, `10^-4`, and `10^23`, which plain text means as 10^{23} (LaTeX reads 10^2 3)
  [/(?<=\d)\s*x\s*(?=10\s*\^)/g, "\\times "],
  [/\^\s*([+-])\s*(\d+)(?![\d.])/g, "^{$1$2}"],
  [/\^(\d{2,})(?![\d.])/g, "^{$1}"],
  // `<1, 2>` as a vector, and a transpose of a tuple or matrix (a row equals a column here)
  [/^<([^<>]*,[^<>]*)>$/g, "($1)"],
  [/(?<=\\end\{[a-zA-Z]*matrix\}|,[^()]*\))\s*\^\s*\{?\s*(?:T|\\top|\\intercal)\s*\}?$/g, ""],
];

/** A quick test for any of {@link SYMBOLS}, so answers without them skip the rewriting. */
const SYMBOL_TRIGGER =
  /[−×·∞πℝ∅⩾⩽∪<]|\\(?:infin|lang|rang|[lr]?vert|[lg]eqslant)|infinity|x\s*10|\^\s*(?:[+-]|\d\d|\{?\s*(?:T|\\top|\\intercal)\b)|[)\]]\s*U\s*[([]/i;

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
  if (SYMBOL_TRIGGER.test(text)) {
    for (const [pattern, replacement] of SYMBOLS) text = text.replace(pattern, replacement);
  }
  text = repeatingDecimals(joinDigitGroups(text)).replace(/,\\!\s*/g, ",").replace(/\{,\}/g, ",");
  text = text.replace(/\\(?:left|right|big|Big|bigg|Bigg)(?![a-zA-Z])\s*/g, "");
  text = text.replace(/\\(?:displaystyle|!|,|;|:|quad|qquad)|~/g, " ").replace(/(?<!\\)\\ /g, " ");
  text = text.replace(/\\[dt]frac/g, "\\frac").replace(/\\over(?![a-zA-Z])/g, "/");
  text = text.replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ|\\degree|°/g, "");
  const percent = /\\?%/.test(text) || /\\text\{\s*percent\s*\}/.test(text);
  text = text.replace(/\\?%/g, "").replace(/\\\$|\$/g, "");
  const units = problemUnits(options.problem);
  text = unwrapTextCommands(stripWrappedUnits(text, units));
  text = stripUnits(text, units);
  text = text.replace(/^\s*(?:or|and)\s+/i, "");
  text = text.replace(/(?:\\\.|[.,;:\s])+$/, "").trim();
  text = fixShorthands(text);
  text = stripThousands(text.replace(/\s+/g, " ").trim());
  return { text, percent };
}
