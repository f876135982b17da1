/**
 * Units written after a numeric answer: words (`15 square centimeters`, `60 miles per hour`), abbreviations
 * inside text wrappers (`5\text{ m/s}`, `15\mbox{ cm}^2`) and the problem's own words after numbers (`15 dogs`).
 * Units are dropped, never converted: `150 mm` stays 150.
 *
 * @module
 */

/** Unit names in the singular; plurals are derived by {@link plural}. */
const UNIT_NAMES = [
  "unit",
  "meter",
  "metre",
  "centimeter",
  "centimetre",
  "millimeter",
  "millimetre",
  "kilometer",
  "kilometre",
  "decimeter",
  "inch",
  "foot",
  "yard",
  "mile",
  "gram",
  "kilogram",
  "milligram",
  "tonne",
  "ton",
  "pound",
  "ounce",
  "liter",
  "litre",
  "milliliter",
  "millilitre",
  "gallon",
  "quart",
  "pint",
  "cup",
  "teaspoon",
  "tablespoon",
  "acre",
  "hectare",
  "second",
  "millisecond",
  "minute",
  "hour",
  "day",
  "week",
  "month",
  "year",
  "decade",
  "century",
  "degree",
  "radian",
  "cent",
  "dollar",
  "euro",
  "calorie",
  "point",
  "page",
  "student",
  "way",
  "time",
  "percent",
];

/** Units that have no regular plural, and abbreviations that are safe as plain words. */
const OTHER_UNITS = [
  "feet",
  "people",
  "person",
  "cm",
  "mm",
  "km",
  "ft",
  "yd",
  "kg",
  "mg",
  "lb",
  "lbs",
  "oz",
  "ml",
  "gal",
  "hr",
  "hrs",
  "mins",
  "sec",
  "secs",
  "mph",
  "kph",
  "kmh",
  "celsius",
  "fahrenheit",
  "kelvin",
  "deg",
];

/** Short abbreviations that are units only inside `\text{}`-like wrappers (elsewhere they are variables). */
const WRAPPED_ONLY = new Set([
  "m",
  "s",
  "g",
  "h",
  "l",
  "in",
  "mi",
  "min",
  "yr",
  "yrs",
  "rad",
  "pt",
  "qt",
  "sq",
]);

/** Words that join units into one phrase: `square feet`, `miles per hour`, `times a day`. */
const MODIFIERS = new Set(["square", "sq", "cubic", "per", "a", "an"]);

function plural(name: string): string {
  if (name.endsWith("ch")) return `${name}es`;
  if (name.endsWith("ry")) return `${name.slice(0, -1)}ies`;
  return `${name}s`;
}

/** Every unit word accepted after a number, lower case. */
export const UNIT_WORDS: ReadonlySet<string> = new Set([
  ...UNIT_NAMES,
  ...UNIT_NAMES.map(plural),
  ...OTHER_UNITS,
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

/** True when the words form a unit phrase: units and joining words only, at least one unit. */
function isUnitPhrase(words: string[], units: ReadonlySet<string>, wrapped: boolean): boolean {
  const isUnit = (word: string) =>
    UNIT_WORDS.has(word) || units.has(word) || (wrapped && WRAPPED_ONLY.has(word));
  return words.length > 0 && words.every((word) => isUnit(word) || MODIFIERS.has(word)) &&
    words.some(isUnit);
}

/** A trailing `\text{...}`-like group, optionally after `/` and before `^2` or `^3`. */
const TRAILING_WRAPPER =
  /(?:\s*\/\s*)?\\(?:text|mbox|mathrm|textrm|hbox|textnormal)\s*\{([^{}]*)\}\s*(?:\^\s*\{?\s*[23]\s*\}?)?\s*$/;

/** A trailing fraction of text-wrapped units: `\frac{\text{km}}{\text{h}}`. */
const TRAILING_FRACTION =
  /\\frac\s*\{\s*\\(?:text|mbox|mathrm)\s*\{([^{}]*)\}\s*\}\s*\{\s*\\(?:text|mbox|mathrm)\s*\{([^{}]*)\}\s*\}\s*$/;

/** Drops trailing text-wrapped units after a number or bracket: `5\text{ m/s}` -> `5`. */
export function stripWrappedUnits(text: string, units: ReadonlySet<string>): string {
  let out = text;
  for (let round = 0; round < 4; round++) {
    const match = TRAILING_WRAPPER.exec(out) ?? TRAILING_FRACTION.exec(out);
    if (!match) break;
    const words = match.slice(1).join(" ").toLowerCase().split(/[\s/.·]+/).filter((word) => word !== "");
    const before = out.slice(0, match.index).trimEnd();
    if (!isUnitPhrase(words, units, true) || !/[\d}).]$|\\[a-zA-Z]+$/.test(before)) break;
    out = before;
  }
  return out;
}

/** Drops trailing unit words (each with an optional `^2`/`^3`) after a number, bracket or space. */
export function stripUnits(text: string, units: ReadonlySet<string>): string {
  let rest = text;
  let sawUnit = false;
  for (let round = 0; round < 8; round++) {
    const match = /([a-zA-Z]+)\s*(?:\^\s*\{?[23]\}?)?\s*$/.exec(rest);
    if (!match) break;
    const word = match[1].toLowerCase();
    const unit = UNIT_WORDS.has(word) || units.has(word);
    const before = rest.slice(0, match.index);
    if ((!unit && !MODIFIERS.has(word)) || !/[\d}).\s/]$/.test(before) || before.trim() === "") break;
    sawUnit ||= unit;
    rest = before.replace(/[\s/]+$/, "");
  }
  return sawUnit ? rest : text;
}
