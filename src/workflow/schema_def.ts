/**
 * Typed access to the parts of a zod schema's definition that walks over step parameter schemas read (the
 * engine's search for path parameters, the test that every kind's nested objects are strict).
 *
 * ```ts
 * const def = schemaDef(kind.params);
 * if (def.type === "object") Object.keys(def.shape!); // the parameter names
 * ```
 *
 * @module
 */
import type { z } from "zod";

/** A check of a number, string or array schema (`min_length`, `greater_than`, `less_than`, ...). */
export interface CheckDef {
  check: string;
  minimum?: number;
  value?: number;
  inclusive?: boolean;
}

/** The definition of a zod schema, as far as walks over parameter schemas need it. */
export interface SchemaDef {
  /** `object`, `array`, `union`, `string`, `optional`, ... */
  type: string;
  /** object: the fields. */
  shape?: Record<string, z.ZodType>;
  /** object: `never` for a strict object. */
  catchall?: z.ZodType;
  /** optional, default, nullable and the other wrappers: the wrapped schema. */
  innerType?: z.ZodType;
  /** array: the item schema. */
  element?: z.ZodType;
  /** union: the options. */
  options?: z.ZodType[];
  /** record: the value schema. */
  valueType?: z.ZodType;
  /** pipe: the input and output schemas. */
  in?: z.ZodType;
  out?: z.ZodType;
  /** enum: the values by name. */
  entries?: Record<string, string | number>;
  /** literal: the values. */
  values?: unknown[];
  checks?: { _zod: { def: CheckDef } }[];
}

/** The definition of `schema`. */
export function schemaDef(schema: z.ZodType): SchemaDef {
  return schema._zod.def as unknown as SchemaDef;
}

/** Wrappers that make an object field optional. */
export const OPTIONAL_WRAPPERS: ReadonlySet<string> = new Set(["optional", "default", "prefault", "catch"]);

/** Every wrapper whose inner schema decides what a value may hold. */
export const WRAPPERS: ReadonlySet<string> = new Set([
  ...OPTIONAL_WRAPPERS,
  "nullable",
  "nonoptional",
  "readonly",
]);
