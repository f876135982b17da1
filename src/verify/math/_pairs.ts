/**
 * Labelled answer pairs: every trap public graders fall into plus common MATH answer forms, positives and
 * negatives, in groups. The pairs are data, in `_pairs.json` (each group with its name, what it covers and
 * its rows). Used by `pairs_test.ts` and by the determinism test.
 *
 * @module
 */
import { z } from "zod";
import { compareAnswers } from "./check.ts";
import pairs from "./_pairs.json" with { type: "json" };

/** The rows whose verdict differs from their label, each described in one line (empty when all agree). */
export function mislabelled(rows: readonly Row[]): string[] {
  return rows.flatMap(([gold, response, equal, problem]) => {
    const result = compareAnswers(gold, response, { problem });
    return result.correct === equal
      ? []
      : [`${gold} vs ${response}: expected ${equal}, got ${result.correct} (${result.reason})`];
  });
}

/** One labelled pair: gold answer, response answer, expected verdict, optional problem text. */
export type Row = [gold: string, response: string, equal: boolean, problem?: string];

const RowSchema = z.union([
  z.tuple([z.string(), z.string(), z.boolean()]),
  z.tuple([z.string(), z.string(), z.boolean(), z.string()]),
]);

/** A group of labelled pairs as a JSON file holds it. */
const GroupsSchema = z.array(z.strictObject({
  name: z.string(),
  /** What the group covers. */
  about: z.string().optional(),
  /** Remarks on particular rows. */
  notes: z.array(z.string()).optional(),
  rows: z.array(RowSchema).min(1),
})).min(1);

/**
 * The `[name, rows]` of each group in `json` (the contents of a labelled-pairs file such as `_pairs.json`);
 * throws naming `file` when it is not of that form.
 *
 * ```ts ignore
 * import classes from "./_classes.json" with { type: "json" };
 * const groups = labelledGroups(classes, "_classes.json");
 * ```
 */
export function labelledGroups(json: unknown, file: string): [string, Row[]][] {
  const parsed = GroupsSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${file}: not a list of {name, about?, notes?, rows} groups: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data.map((group) => [group.name, group.rows]);
}

/** The labelled pairs by group: trap, normalisation, value, expression, structure. */
export const PAIR_GROUPS: [string, Row[]][] = labelledGroups(pairs, "_pairs.json");
