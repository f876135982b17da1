/**
 * The files and directories a step reads through its parameters: the values of its {@link PathParam}s,
 * found by walking the kind's zod schema along the validated parameters.
 *
 * ```ts
 * const params = kind.params.parse(resolved);
 * inputPaths(kind.params, params); // ["datasets/toy-math/test.jsonl"]
 * ```
 *
 * @module
 */
import type { z } from "zod";
import { schemaDef, WRAPPERS } from "./schema_def.ts";
import { pathParams } from "./step.ts";

/** Every path parameter's value in `value` (validated by `schema`), in schema order, without repeats. */
export function inputPaths(schema: z.ZodType, value: unknown): string[] {
  const found = new Set<string>();
  walk(schema, value, found);
  return [...found];
}

function walk(schema: z.ZodType, value: unknown, found: Set<string>): void {
  if (value === undefined || value === null) return;
  if (pathParams.has(schema)) {
    if (typeof value === "string") found.add(value);
    return;
  }
  const def = schemaDef(schema);
  if (WRAPPERS.has(def.type)) return walk(def.innerType!, value, found);
  switch (def.type) {
    case "object":
      for (const [key, field] of Object.entries(def.shape!)) {
        walk(field, (value as Record<string, unknown>)[key], found);
      }
      return;
    case "array":
      for (const item of value as unknown[]) walk(def.element!, item, found);
      return;
    case "record":
      for (const item of Object.values(value as Record<string, unknown>)) walk(def.valueType!, item, found);
      return;
    case "union": {
      // the option the value was parsed by: the first one that accepts it
      const option = def.options!.find((o) => o.safeParse(value).success);
      if (option) walk(option, value, found);
      return;
    }
    case "pipe":
      return walk(def.out!, value, found);
  }
}
