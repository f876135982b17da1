/**
 * `${{ ... }}` references in a step's `with:`: `${{ params.NAME }}`, `${{ matrix.NAME }}` (the value of a
 * matrix axis in a matrix step) and `${{ steps.ID.outputs.NAME }}`.
 *
 * A string that is exactly one reference becomes the referenced value (a number stays a number, an output
 * becomes an {@link ArtifactRef}, or a list of them for the outputs of a matrix step's instances); references
 * inside longer strings are interpolated as text.
 *
 * @module
 */
import type { ArtifactRef } from "./step.ts";

/** A parsed reference. */
export type Reference =
  | { type: "param"; name: string }
  | { type: "matrix"; name: string }
  | { type: "output"; step: string; output: string };

const REFERENCE = /\$\{\{\s*(.*?)\s*\}\}/g;
const WHOLE_REFERENCE = /^\$\{\{\s*(.*?)\s*\}\}$/;

/** Parses the inside of `${{ ... }}`; returns an error message when it is not a known form. */
export function parseReference(expression: string): Reference | string {
  const parts = expression.split(".");
  if (parts[0] === "params" && parts.length === 2 && parts[1] !== "") {
    return { type: "param", name: parts[1] };
  }
  if (parts[0] === "matrix" && parts.length === 2 && parts[1] !== "") {
    return { type: "matrix", name: parts[1] };
  }
  if (parts[0] === "steps" && parts.length === 4 && parts[2] === "outputs") {
    return { type: "output", step: parts[1], output: parts[3] };
  }
  return `cannot read reference '\${{ ${expression} }}'`;
}

/** A reference found while walking `with:`, with the path to the value that holds it. */
export interface FoundReference {
  path: (string | number)[];
  expression: string;
  reference: Reference | string;
  /** The reference is the whole string, so it resolves to the value itself rather than to text. */
  whole: boolean;
}

/** Lists every reference inside a `with:` value. */
export function findReferences(value: unknown, path: (string | number)[] = []): FoundReference[] {
  if (typeof value === "string") {
    const whole = WHOLE_REFERENCE.test(value);
    return [...value.matchAll(REFERENCE)].map((m) => ({
      path,
      expression: m[1],
      reference: parseReference(m[1]),
      whole,
    }));
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findReferences(item, [...path, i]));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => findReferences(item, [...path, key]));
  }
  return [];
}

/** What references resolve to. */
export interface ReferenceValues {
  param(name: string): unknown;
  matrix(name: string): unknown;
  /** One reference, or a list of them (the outputs of a matrix step's instances). */
  output(step: string, output: string): ArtifactRef | ArtifactRef[];
}

/**
 * Replaces every reference inside a `with:` value. A list item that is a reference to a list (the outputs of
 * a matrix step's instances) is spliced into the enclosing list: `[a, b]` gives a's references, then b.
 */
export function resolveReferences(value: unknown, values: ReferenceValues): unknown {
  if (typeof value === "string") return resolveString(value, values);
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      const resolved = resolveReferences(item, values);
      return typeof item === "string" && Array.isArray(resolved) ? resolved : [resolved];
    });
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveReferences(item, values)]),
    );
  }
  return value;
}

function resolveOne(expression: string, values: ReferenceValues): unknown {
  const reference = parseReference(expression);
  if (typeof reference === "string") throw new Error(reference);
  if (reference.type === "param") return values.param(reference.name);
  if (reference.type === "matrix") return values.matrix(reference.name);
  return values.output(reference.step, reference.output);
}

function resolveString(text: string, values: ReferenceValues): unknown {
  const whole = text.match(WHOLE_REFERENCE);
  if (whole) return resolveOne(whole[1], values);
  return text.replace(REFERENCE, (_, expression: string) => {
    const value = resolveOne(expression, values);
    if (Array.isArray(value)) {
      throw new Error(`'\${{ ${expression} }}' is a list here and cannot be part of a longer string`);
    }
    if (value !== null && typeof value === "object" && "path" in value) return String(value.path);
    return String(value);
  });
}
