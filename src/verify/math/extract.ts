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

/** Markdown emphasis (`**`, `__`, `*`, `_`), colons and space before an answer. */
const LEADING_MARKUP = /^(?:[\s:=`]|\*+|_+(?![a-zA-Z0-9{]))+/;
/** Trailing emphasis, sentence punctuation and space after an answer (not `!`, which may be a factorial). */
const TRAILING_MARKUP = /(?:[\s.;:`]|\*+|_+)+$/;

/**
 * Cuts a sentence-like answer at its end: the math spans it starts with (several when joined by commas,
 * "and" or "or", such as `$3$ or $4$`), else the line.
 */
function answerSpan(rest: string): string | null {
  const text = rest.replace(LEADING_MARKUP, "");
  const leading = leadingMathSpans(text);
  if (leading !== null) return leading;
  const line = text.split("\n")[0].split(/\.\s+(?=[A-Z])|,?\s+(?:because|since|which|as)\s+/)[0];
  const cut = line.replace(/\s*I hope it is correct.*$/i, "").replace(/\*\*|__|`/g, "")
    .replace(TRAILING_MARKUP, "").trim();
  if (cut === "") return null;
  // A choice letter with its option, `(A) $\frac{1}{2}$`, stays whole: the letter is the answer.
  return CHOICE_FIRST.test(cut) ? cut : mathInLine(cut) ?? cut;
}

/** The math spans at the very start of `text` joined by commas, or null when it does not start with math. */
function leadingMathSpans(text: string): string | null {
  const first = leadingMath(text);
  if (first === null) return null;
  const parts = [first.content];
  let rest = text.slice(first.end);
  for (let join = JOIN.exec(rest); join; join = JOIN.exec(rest)) {
    const next = leadingMath(rest.slice(join[0].length));
    if (next === null) break;
    parts.push(next.content);
    rest = rest.slice(join[0].length + next.end);
  }
  return parts.join(", ");
}

/** A line that starts with a multiple-choice letter in parentheses. */
const CHOICE_FIRST = /^\(?[A-E]\)\s/;

/** A comma, "and" or "or" between two math spans. */
const JOIN = /^[ \t]*(?:,|\band\b|\bor\b)[ \t]*/i;

/**
 * The math of a line that holds math spans: all of them joined by commas when only "and", "or" or commas
 * stand between them (`$3$ or $4$`), else the last one (`The point is $(1,2)$`); null without math.
 */
function mathInLine(line: string): string | null {
  const spans = [...line.matchAll(MATH_SPAN)];
  if (spans.length === 0) return null;
  const contents = spans.map(spanContent);
  const gaps = line.split(MATH_SPAN_SPLIT);
  const joinsOnly = gaps.slice(1, -1).every((gap) => /^\s*(?:,|and|or)?\s*$/i.test(gap)) &&
    gaps[0].trim() === "" && /^[\s.]*$/.test(gaps[gaps.length - 1]);
  return joinsOnly ? contents.join(", ") : contents[contents.length - 1];
}

/** The math span at the very start of `text` (an escaped `\$` does not close it) and its end, or null. */
function leadingMath(text: string): { content: string; end: number } | null {
  for (const [open, close] of [["$$", "$$"], ["$", "$"], ["\\(", "\\)"], ["\\[", "\\]"]]) {
    if (!text.startsWith(open)) continue;
    let end = text.indexOf(close, open.length);
    while (close === "$" && end > 0 && text[end - 1] === "\\") end = text.indexOf(close, end + 1);
    if (end > open.length) return { content: text.slice(open.length, end).trim(), end: end + close.length };
  }
  return null;
}

/** The Minerva form `Final Answer: The final answer is $X$. I hope it is correct.` */
export function minervaAnswer(text: string): string | null {
  const index = text.toLowerCase().lastIndexOf("final answer is");
  return index < 0 ? null : answerSpan(text.slice(index + "final answer is".length));
}

/** "answer is", "Answer:", "**Final Answer:**", "**Answer**:" (emphasis between the word and its colon). */
const ANSWER_LABEL = /\banswer\b(?:\*+|_+)?[ \t]*(?:is\b[ \t]*:?|:|=)|(?:\*+|_+)answer\.(?:\*+|_+)/gi;
/** A line that holds only an answer label, such as `### Final Answer` or `**Answer:**`: the answer follows. */
const ANSWER_HEADING =
  /^[ \t>#]*(?:\*+|_+)?[ \t]*(?:final[ \t]+)?answer[ \t]*(?:\*+|_+)?[ \t]*:?[ \t]*(?:\*+|_+)?[ \t]*$/gim;

/** What follows "the answer is" when it judges an answer instead of giving one ("the answer is correct"). */
const NOT_AN_ANSWER = /^[\s:*_]*(?:correct|right|wrong|incorrect|not\b|indeed\b|as follows|below|above)/i;

/** The answer after the last answer label: "the answer is", "Answer:", "**Final answer:**", a heading. */
export function answerIsAnswer(text: string): string | null {
  const labels = [...text.matchAll(ANSWER_LABEL), ...text.matchAll(ANSWER_HEADING)]
    .map((match) => match.index + match[0].length)
    .sort((a, b) => b - a);
  for (const end of labels) {
    const rest = text.slice(end);
    if (!NOT_AN_ANSWER.test(rest)) return answerSpan(rest);
  }
  return null;
}

/** An answer label at the start of a bold span, such as `Final Answer:` in `**Final Answer: 5**`. */
const BOLD_LABEL = /^(?:the\s+)?(?:final\s+)?answer\s*(?:is\b)?\s*:?\s*/i;

/** The content of the last bold markdown span `**X**` or `__X__` (without an answer label or math delimiters). */
export function boldAnswer(text: string): string | null {
  const spans = [...text.matchAll(/\*\*([^*]+)\*\*|__([^_]+)__/g)]
    .map((span) => (span[1] ?? span[2]).trim().replace(BOLD_LABEL, "").replace(/[.:]$/, "").trim())
    .filter((content) => content !== "");
  if (spans.length === 0) return null;
  const content = spans[spans.length - 1];
  return mathInLine(content) ?? content;
}

/** One math span: `$$...$$`, `$...$` (an escaped `\$` does not close it), `\(...\)` or `\[...\]`. */
const MATH_SPAN = /\$\$([\s\S]+?)\$\$|\$((?:\\\$|[^$])+?)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/g;
/** The same spans as {@link MATH_SPAN}, without capture groups, for splitting around them. */
const MATH_SPAN_SPLIT = /\$\$[\s\S]+?\$\$|\$(?:\\\$|[^$])+?\$|\\\([\s\S]+?\\\)|\\\[[\s\S]+?\\\]/g;

function spanContent(match: RegExpMatchArray): string {
  return (match[1] ?? match[2] ?? match[3] ?? match[4]).trim();
}

/** The content of the last `$...$`, `$$...$$`, `\(...\)` or `\[...\]` span. */
export function lastMath(text: string): string | null {
  let found: string | null = null;
  for (const match of text.matchAll(MATH_SPAN)) found = spanContent(match);
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
