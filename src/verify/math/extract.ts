/**
 * Finds the final answer in a full model response.
 *
 * Each extractor looks for one answer form; {@link extractAnswer} tries them in a configurable priority and
 * returns the first hit, or null when the response states no answer.
 *
 * @module
 */

/** The answer forms that {@link extractAnswer} knows, in their default priority. */
export const DEFAULT_PRIORITY = ["boxed", "minerva", "answerIs", "bold", "lastMath", "whole"] as const;

/** One answer form. */
export type ExtractorName = typeof DEFAULT_PRIORITY[number];

/** Options for {@link extractAnswer}. */
export interface ExtractOptions {
  /** The forms to try, in order (default {@link DEFAULT_PRIORITY}). */
  priority?: readonly ExtractorName[];
}

/** An extracted answer and the form it came from. */
export interface Extraction {
  answer: string;
  source: ExtractorName;
}

/** Returns the text of the brace group opening at `open` (which must be `{`), or null when unbalanced. */
export function braceGroup(text: string, open: number): { content: string; end: number } | null {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const char = text[i];
    if (char === "\\") {
      i++;
      continue;
    }
    if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return { content: text.slice(open + 1, i), end: i + 1 };
  }
  return null;
}

/** The content of the last `\boxed{...}`, `\fbox{...}` or `\boxed 5` in `text`, or null. */
export function lastBoxed(text: string): string | null {
  const pattern = /\\(?:boxed|fbox)\b\s*/g;
  let found: string | null = null;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const after = match.index + match[0].length;
    if (text[after] === "{") {
      const group = braceGroup(text, after);
      if (group) found = group.content;
    } else {
      const token = /^[^\s$]+/.exec(text.slice(after).replace(/^\s+/, ""));
      if (token) found = token[0].replace(/[.,;]+$/, "");
    }
  }
  return found;
}

/** Removes one layer of `$...$`, `$$...$$`, `\(...\)` or `\[...\]` around `text`, and surrounding space. */
export function stripMathDelimiters(text: string): string {
  const inner = text.trim();
  for (const [open, close] of [["$$", "$$"], ["$", "$"], ["\\(", "\\)"], ["\\[", "\\]"]]) {
    if (inner.startsWith(open) && inner.endsWith(close) && inner.length >= open.length + close.length) {
      return inner.slice(open.length, inner.length - close.length).trim();
    }
  }
  return inner;
}

/** Cuts a sentence-like answer at its end: a math span if it starts with one, else the line. */
function answerSpan(rest: string): string | null {
  const text = rest.replace(/^[\s:]+/, "");
  const math = leadingMath(text);
  if (math !== null) return math;
  const line = text.split("\n")[0].split(/\.\s+(?=[A-Z])|,?\s+(?:because|since|which|as)\s+/)[0];
  const cut = line.replace(/\s*I hope it is correct.*$/i, "").replace(/[.\s]+$/, "").trim();
  return cut === "" ? null : cut;
}

/** The content of a math span at the very start of `text` (an escaped `\$` does not close it), or null. */
function leadingMath(text: string): string | null {
  for (const [open, close] of [["$$", "$$"], ["$", "$"], ["\\(", "\\)"], ["\\[", "\\]"]]) {
    if (!text.startsWith(open)) continue;
    let end = text.indexOf(close, open.length);
    while (close === "$" && end > 0 && text[end - 1] === "\\") end = text.indexOf(close, end + 1);
    if (end > open.length) return text.slice(open.length, end).trim();
  }
  return null;
}

/** The Minerva form `Final Answer: The final answer is $X$. I hope it is correct.` */
export function minervaAnswer(text: string): string | null {
  const index = text.toLowerCase().lastIndexOf("final answer is");
  return index < 0 ? null : answerSpan(text.slice(index + "final answer is".length));
}

/** The answer after the last "the answer is" (or "answer:"). */
export function answerIsAnswer(text: string): string | null {
  const pattern = /\banswer\s*(?:is|:)\s*/gi;
  let last: RegExpExecArray | null = null;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) last = match;
  return last ? answerSpan(text.slice(last.index + last[0].length)) : null;
}

/** The content of the last bold markdown span `**X**`, unwrapped from math delimiters. */
export function boldAnswer(text: string): string | null {
  const spans = [...text.matchAll(/\*\*([^*]+)\*\*/g)];
  if (spans.length === 0) return null;
  const content = spans[spans.length - 1][1].trim().replace(/[.:]$/, "");
  const math = /\$([^$]+)\$|\\\((.+?)\\\)/.exec(content);
  return math ? (math[1] ?? math[2]).trim() : content || null;
}

/** The content of the last `$...$`, `$$...$$`, `\(...\)` or `\[...\]` span. */
export function lastMath(text: string): string | null {
  const pattern = /\$\$([\s\S]+?)\$\$|\$((?:\\\$|[^$])+?)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
  let found: string | null = null;
  for (const match of text.matchAll(pattern)) {
    found = (match[1] ?? match[2] ?? match[3] ?? match[4]).trim();
  }
  return found;
}

/** The whole response when it is a single short line (a bare answer such as `\dfrac{1}{2}`). */
export function wholeAnswer(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.includes("\n") || trimmed.length > 80) return null;
  return stripMathDelimiters(trimmed.replace(/\.$/, ""));
}

const EXTRACTORS: Record<ExtractorName, (text: string) => string | null> = {
  boxed: lastBoxed,
  minerva: minervaAnswer,
  answerIs: answerIsAnswer,
  bold: boldAnswer,
  lastMath,
  whole: wholeAnswer,
};

/** Extracts the final answer of a response and names its form; null when the response states no answer. */
export function extractWithSource(text: string, options: ExtractOptions = {}): Extraction | null {
  if (typeof text !== "string") return null;
  for (const name of options.priority ?? DEFAULT_PRIORITY) {
    const found = EXTRACTORS[name](text);
    if (found !== null && found.trim() !== "") {
      const inner = name === "boxed" ? found : lastBoxed(found) ?? found;
      return { answer: stripMathDelimiters(inner), source: name };
    }
  }
  return null;
}

/** Extracts the final answer of a response, or null when it states none. */
export function extractAnswer(text: string, options: ExtractOptions = {}): string | null {
  return extractWithSource(text, options)?.answer ?? null;
}
