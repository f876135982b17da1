/**
 * A held-out set of labelled full responses for the answer forms and equivalence classes of issue 14. It was
 * written before the checker was changed for them, from examples other than those of `_classes.ts`, and is
 * not tuned to the checker: on the code before issue 14 it had 2 false positives and 29 false negatives.
 * Each row of `_heldout.json` is [gold answer, full response, expected verdict].
 *
 * @module
 */
import { z } from "zod";
import heldOut from "./_heldout.json" with { type: "json" };

/** One labelled full response: gold answer, response text, expected verdict. */
export type ResponseRow = [gold: string, response: string, correct: boolean];

/** The held-out responses. */
export const HELD_OUT: ResponseRow[] = z.array(z.tuple([z.string(), z.string(), z.boolean()])).min(1).parse(
  heldOut,
);
