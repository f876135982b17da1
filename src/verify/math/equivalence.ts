/**
 * Equivalence of structured answers (see {@link readAnswer}): tuples in order, lists and sets in any order,
 * unions of intervals with matching open and closed ends, matrices, equations up to a non-zero factor,
 * multiple-choice letters, base-n numerals and text, down to {@link expressionsEqual} for each expression.
 *
 * @module
 */
import { MAX_ITEMS } from "./_limits.ts";
import {
  type Budget,
  close,
  type EquivalenceVerdict,
  expressionsEqual,
  TimeGuardError,
} from "./expression.ts";
import { freeVariables, numericValue } from "./numeric.ts";
import { type MathJson, parseLatex } from "./parse.ts";
import { type Answer, type Interval, readAnswer } from "./structures.ts";

/** Conventions for one comparison. */
export interface CompareContext extends Budget {
  /** True when answer lists must match in order (the problem asks for an ordered list). */
  orderedLists: boolean;
  /** True when the problem asks for a point or vector, so `(1,2)` and `[1,2]` are the same answer. */
  tuples: boolean;
}

function structural(equal: boolean, reason: string): EquivalenceVerdict {
  return { equal, path: "structure", reason };
}

/** Compares a gold answer with a response answer. Never throws. */
export function answersEqual(gold: Answer, response: Answer, context: CompareContext): EquivalenceVerdict {
  try {
    return compare(gold, response, context);
  } catch (error) {
    if (error instanceof TimeGuardError) throw error;
    return structural(false, `comparison failed: ${(error as Error).message}`);
  }
}

function compare(gold: Answer, response: Answer, context: CompareContext): EquivalenceVerdict {
  const tooMany = [gold, response].find((answer) => itemCount(answer) > MAX_ITEMS);
  if (tooMany) return structural(false, `an answer with more than ${MAX_ITEMS} items is not compared`);
  if (isEmptySet(gold) || isEmptySet(response)) {
    const equal = isEmptySet(gold) && isEmptySet(response);
    return structural(equal, equal ? "both are the empty set" : "only one answer is the empty set");
  }
  if (gold.kind === "equation" || response.kind === "equation") {
    return compareEquations(gold, response, context);
  }
  const goldItems = collectionItems(gold);
  const responseItems = collectionItems(response);
  if (goldItems && responseItems) {
    return compareCollections(gold, goldItems, response, responseItems, context);
  }
  const goldIntervals = intervalsOf(gold);
  const responseIntervals = intervalsOf(response);
  if (goldIntervals && responseIntervals && (gold.kind === "union" || response.kind === "union")) {
    return compareUnions(goldIntervals, responseIntervals, context);
  }
  if (
    gold.kind === "bracket" || response.kind === "bracket" || gold.kind === "matrix" ||
    response.kind === "matrix"
  ) {
    return compareSequences(gold, response, context);
  }
  return compareAtoms(gold, response, context);
}

function itemCount(answer: Answer): number {
  switch (answer.kind) {
    case "list":
    case "set":
    case "bracket":
      return answer.items.length;
    case "union":
      return answer.intervals.length;
    case "matrix":
      return answer.rows.reduce((sum, row) => sum + row.length, 0);
    default:
      return 1;
  }
}

/** `\emptyset`, `\{\}` and their spellings, and a set of reals with no interval left. */
function isEmptySet(answer: Answer): boolean {
  return (answer.kind === "set" && answer.items.length === 0) ||
    (answer.kind === "union" && answer.intervals.length === 0);
}

/** The items of an unordered collection (lists and sets, with nested lists flattened). */
function collectionItems(answer: Answer): Answer[] | null {
  if (answer.kind !== "list" && answer.kind !== "set") return null;
  return answer.items.flatMap((item) => item.kind === "list" ? collectionItems(item)! : [item]);
}

function compareCollections(
  gold: Answer,
  goldItems: Answer[],
  response: Answer,
  responseItems: Answer[],
  context: CompareContext,
): EquivalenceVerdict {
  if (goldItems.length !== responseItems.length) {
    return structural(false, `expected ${goldItems.length} answers, got ${responseItems.length}`);
  }
  if (context.orderedLists && gold.kind === "list" && response.kind === "list") {
    return compareInOrder(goldItems, responseItems, context);
  }
  const unmatched = [...responseItems];
  for (const item of goldItems) {
    const index = unmatched.findIndex((candidate) => compare(item, candidate, context).equal);
    if (index < 0) return structural(false, "an expected answer is missing from the response");
    unmatched.splice(index, 1);
  }
  return structural(true, `same ${goldItems.length} answers in any order`);
}

function compareInOrder(gold: Answer[], response: Answer[], context: CompareContext): EquivalenceVerdict {
  if (gold.length !== response.length) {
    return structural(false, `expected ${gold.length} entries, got ${response.length}`);
  }
  for (let k = 0; k < gold.length; k++) {
    const item = compare(gold[k], response[k], context);
    if (!item.equal) return structural(false, `entry ${k + 1} differs: ${item.reason}`);
  }
  return structural(true, `same ${gold.length} entries in order`);
}

/** Intervals of a union, or of a two-item bracket read as an interval. */
function intervalsOf(answer: Answer): Interval[] | null {
  if (answer.kind === "union") return answer.intervals;
  if (answer.kind !== "bracket" || answer.items.length !== 2) return null;
  const [low, high] = answer.items;
  if (low.kind !== "expr" || high.kind !== "expr") return null;
  return [{
    low: { bound: low.latex, closed: answer.open === "[" },
    high: { bound: high.latex, closed: answer.close === "]" },
  }];
}

function compareUnions(gold: Interval[], response: Interval[], context: CompareContext): EquivalenceVerdict {
  if (gold.length !== response.length) {
    return structural(false, `expected ${gold.length} intervals, got ${response.length}`);
  }
  const unmatched = [...response];
  for (const interval of gold) {
    const index = unmatched.findIndex((candidate) => intervalsEqual(interval, candidate, context));
    if (index < 0) return structural(false, "an interval or one of its ends differs");
    unmatched.splice(index, 1);
  }
  return structural(true, "same intervals with the same open and closed ends");
}

function intervalsEqual(a: Interval, b: Interval, context: CompareContext): boolean {
  return a.low.closed === b.low.closed && a.high.closed === b.high.closed &&
    expressionsEqual(a.low.bound, b.low.bound, context).equal &&
    expressionsEqual(a.high.bound, b.high.bound, context).equal;
}

/** Bracket pairs that can hold a tuple; `[1, 4)` and `(1, 4]` are always intervals. */
const PAIRED_BRACKETS = new Set(["()", "[]"]);

/** Tuples, vectors and matrices: same shape, same entries in order, same brackets. */
function compareSequences(gold: Answer, response: Answer, context: CompareContext): EquivalenceVerdict {
  const sameStyle = (a: Answer & { kind: "bracket" }, b: Answer & { kind: "bracket" }) =>
    a.open === b.open && a.close === b.close;
  const bothTuples = (a: Answer & { kind: "bracket" }, b: Answer & { kind: "bracket" }) =>
    context.tuples && [a, b].every((side) => PAIRED_BRACKETS.has(side.open + side.close));
  if (
    gold.kind === "bracket" && response.kind === "bracket" && !sameStyle(gold, response) &&
    !bothTuples(gold, response)
  ) {
    return structural(
      false,
      `brackets differ: ${gold.open}${gold.close} vs ${response.open}${response.close}`,
    );
  }
  const goldRows = rowsOf(gold);
  const responseRows = rowsOf(response);
  if (!goldRows || !responseRows) {
    return structural(false, `a ${gold.kind} answer cannot equal a ${response.kind} one`);
  }
  if (goldRows.length !== responseRows.length) return structural(false, "the shapes differ");
  const goldCells = goldRows.flat();
  const responseCells = responseRows.flat();
  if (goldRows.some((row, k) => row.length !== responseRows[k].length)) {
    return structural(false, "the shapes differ");
  }
  return compareInOrder(goldCells, responseCells, context);
}

/** Rows of a matrix; a tuple or an ordered list is one column (so a vector equals a tuple). */
function rowsOf(answer: Answer): Answer[][] | null {
  if (answer.kind === "matrix") {
    return answer.rows.length === 1 ? answer.rows[0].map((cell) => [cell]) : answer.rows;
  }
  if (answer.kind === "bracket" || answer.kind === "list") return answer.items.map((item) => [item]);
  return null;
}

/** A left side that only names the answer: `x`, `y_1`, `x_{1,2}`, `f(x)`, `a'`, or a tuple `(x, y)` of names. */
function isName(latex: string): boolean {
  const name = /^[a-zA-Z](?:_\{?[\w,]+\}?)?'*(?:\([a-zA-Z0-9, ]*\))?$/;
  const text = latex.trim();
  const tuple = /^\((.*)\)$/.exec(text);
  return name.test(text) || (tuple !== null && tuple[1].split(",").every((part) => name.test(part.trim())));
}

function compareEquations(gold: Answer, response: Answer, context: CompareContext): EquivalenceVerdict {
  if (gold.kind === "equation" && response.kind === "equation") {
    const sameName = gold.parts.length === 2 && response.parts.length === 2 && isName(gold.parts[0]) &&
      gold.parts[0].replace(/\s+/g, "") === response.parts[0].replace(/\s+/g, "");
    if (sameName) return compare(namedValue(gold), namedValue(response), context);
    return proportionalEquations(gold.parts, response.parts);
  }
  if (gold.kind === "equation") {
    const value = namedValue(gold);
    return value.kind === "equation"
      ? structural(false, "an equation cannot equal a value")
      : compare(value, response, context);
  }
  if (response.kind === "equation") return compareChain(gold, response.parts, context);
  return structural(false, "no equation to compare");
}

/** `x = 5` stands for 5; anything else is returned unchanged. */
function namedValue(answer: Answer): Answer {
  if (answer.kind !== "equation" || answer.parts.length !== 2 || !isName(answer.parts[0])) return answer;
  return readAnswer(answer.parts[1]);
}

/** A response chain such as `2^{10} = 1024`: every part that is not a name must equal the gold. */
function compareChain(gold: Answer, parts: string[], context: CompareContext): EquivalenceVerdict {
  const values = parts.filter((part) => !isName(part));
  if (values.length === 0) return structural(false, "the response equation has no value");
  for (const part of values) {
    const item = compare(gold, readAnswer(part), context);
    if (!item.equal) return structural(false, `the response part "${part}" differs: ${item.reason}`);
  }
  return structural(true, "every side of the response equation equals the answer");
}

/** Equations `l1 = r1` and `l2 = r2` are equal when l1 - r1 = c (l2 - r2) for one non-zero constant c. */
function proportionalEquations(gold: string[], response: string[]): EquivalenceVerdict {
  if (gold.length !== 2 || response.length !== 2) {
    return structural(false, "only two-sided equations are compared");
  }
  const goldLeft = parseLatex(gold[0]);
  const goldRight = parseLatex(gold[1]);
  const responseLeft = parseLatex(response[0]);
  const responseRight = parseLatex(response[1]);
  if ([goldLeft, goldRight, responseLeft, responseRight].includes(null)) {
    return structural(false, "could not parse an equation");
  }
  const goldDifference: MathJson = ["Subtract", goldLeft!, goldRight!];
  const responseDifference: MathJson = ["Subtract", responseLeft!, responseRight!];
  const variables = [...freeVariables(goldDifference, freeVariables(responseDifference))].sort();
  if (variables.length === 0) return structural(false, "equations without variables are not compared");
  let ratio: number | null = null;
  let compared = 0;
  for (let point = 0; point < 7; point++) {
    const values = Object.fromEntries(
      variables.map((name, k) => [name, 0.37 + 0.61 * ((point * 3 + k * 5) % 7) + 0.11 * k]),
    );
    const a = numericValue(goldDifference, values);
    const b = numericValue(responseDifference, values);
    if (Math.abs(b.re) < 1e-9 || Math.abs(a.re) < 1e-9 || a.im !== 0 || b.im !== 0) continue;
    const current = a.re / b.re;
    if (!Number.isFinite(current)) continue;
    if (ratio !== null && !close({ re: ratio, im: 0 }, { re: current, im: 0 })) {
      return structural(false, "the equations are not multiples of each other");
    }
    ratio ??= current;
    compared++;
  }
  return compared >= 3
    ? structural(true, "the equations are equal up to a non-zero factor")
    : structural(false, "could not compare the equations");
}

function compareAtoms(gold: Answer, response: Answer, context: CompareContext): EquivalenceVerdict {
  // `(B) 24` against a gold value: the option's text is the answer.
  if (response.kind === "choice" && response.option !== undefined && gold.kind !== "choice") {
    return compare(gold, readAnswer(response.option), context);
  }
  if (gold.kind === "choice") {
    const letters = response.kind === "choice" ? response.letters : textOf(response).toUpperCase();
    return structural(
      letters === gold.letters,
      letters === gold.letters ? "same choice" : "different choice",
    );
  }
  if (gold.kind === "base" || response.kind === "base") {
    const goldDigits = gold.kind === "base" ? gold.digits : textOf(gold);
    const responseDigits = response.kind === "base" ? response.digits : textOf(response);
    const basesDiffer = gold.kind === "base" && response.kind === "base" && gold.base !== response.base;
    const equal = !basesDiffer && goldDigits === responseDigits;
    return structural(equal, equal ? "same base-n numeral" : "different base-n numeral");
  }
  if (gold.kind === "text" || response.kind === "text") {
    const equal = simplifyText(textOf(gold)) === simplifyText(textOf(response));
    return structural(equal, equal ? "same text" : "different text");
  }
  if (gold.kind === "expr" && response.kind === "expr") {
    return expressionsEqual(gold.latex, response.latex, context);
  }
  return structural(false, `a ${gold.kind} answer cannot equal a ${response.kind} one`);
}

function textOf(answer: Answer): string {
  switch (answer.kind) {
    case "expr":
      return answer.latex;
    case "text":
      return answer.text;
    case "choice":
      return answer.letters;
    case "base":
      return answer.digits;
    default:
      return "";
  }
}

function simplifyText(text: string): string {
  return text.toLowerCase().replace(/^the\s+/, "").replace(/[\s.]+/g, " ").trim();
}
