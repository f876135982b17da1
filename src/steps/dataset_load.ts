/**
 * Step kind `dataset.load`: reads a JSONL or JSONL.gz file (relative paths from the current directory),
 * optionally shuffles it with a seed and keeps the first `limit` records.
 *
 * @module
 */
import { z } from "zod";
import { readJsonl } from "../data/jsonl.ts";
import { sequenceRng } from "../inference/rng.ts";
import { defineStep, PathParam } from "../workflow/step.ts";

/** Shuffles a copy of `items` (Fisher-Yates) with a generator seeded by `seed`. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const rng = sequenceRng(seed, "shuffle", 0);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.nextFloat() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** The `dataset.load` step kind. */
export const datasetLoad = defineStep({
  name: "dataset.load",
  source: import.meta.url,
  description: "Read a JSONL / JSONL.gz file, optionally shuffled with a seed and cut to `limit` records.",
  params: z.strictObject({
    path: PathParam,
    limit: z.number().int().positive().optional(),
    offset: z.number().int().nonnegative().default(0),
    shuffle: z.boolean().default(false),
    seed: z.number().int().default(0),
  }),
  outputs: { records: { kind: "records", description: "the loaded records" } },
  async run(ctx) {
    const { path, limit, offset, shuffle, seed } = ctx.params;
    let records = await readJsonl(path).catch((error: Error) => {
      throw new Error(`dataset.load: ${error.message}`);
    });
    if (shuffle) records = seededShuffle(records, seed);
    records = records.slice(offset, limit === undefined ? undefined : offset + limit);
    const out = await ctx.records("records");
    await out.writeAll(records);
    ctx.progress(records.length, records.length);
    ctx.log(`loaded ${records.length} records from ${path}`);
  },
});
