/**
 * Step kind `test.work`: a small deterministic workload for exercising the engine. Each item's result is
 * a hash of (seed, item) after `work_ms` of waiting; `fail_items` fail their first `fail_times` attempts,
 * so retries and resumes can be tested.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";

function itemValue(seed: number, item: number, salt: string): string {
  return createHash("sha256").update(`${seed}:${item}:${salt}`).digest("hex").slice(0, 16);
}

/** The `test.work` step kind. */
export const testWork = defineStep({
  name: "test.work",
  source: import.meta.url,
  description: "Deterministic test workload: items with configurable work and injected failures.",
  params: z.strictObject({
    items: z.number().int().nonnegative(),
    seed: z.number().int().default(0),
    work_ms: z.number().nonnegative().default(0),
    batch_size: z.number().int().positive().default(4),
    fail_items: z.array(z.number().int()).default([]),
    fail_times: z.number().int().nonnegative().default(1),
    input: ArtifactRef.optional(),
    /** More inputs (for example the outputs of a matrix step's instances); they salt the results too. */
    inputs: z.array(ArtifactRef).default([]),
  }),
  shardable: true,
  outputs: { results: { kind: "records" } },
  exactlyOnce: true,
  async run(ctx) {
    const p = ctx.params;
    let salt = "";
    for (const input of [...(p.input ? [p.input] : []), ...p.inputs]) {
      salt += (await readRecords<{ value: string }>(input)).map((r) => r.value).join("");
    }
    const failures = `${ctx.workDir}/failures.json`;
    const failed: Record<string, number> = JSON.parse(await Deno.readTextFile(failures).catch(() => "{}"));
    const items = Array.from({ length: p.items }, (_, i) => i);
    await ctx.forEachItem({
      output: "results",
      items,
      batchSize: p.batch_size,
      process: async (batch) => {
        const out = [];
        for (const item of batch) {
          if (p.work_ms > 0) await new Promise((resolve) => setTimeout(resolve, p.work_ms));
          if (p.fail_items.includes(item) && (failed[item] ?? 0) < p.fail_times) {
            failed[item] = (failed[item] ?? 0) + 1;
            await Deno.writeTextFile(failures, JSON.stringify(failed));
            throw new Error(`injected failure at item ${item}`);
          }
          out.push({ item, value: itemValue(p.seed, item, salt) });
        }
        return out;
      },
    });
  },
});
