import assert from "node:assert/strict";
import { SIZES } from "../../bench/scale.ts";
import { estimateStepMemory } from "./memory_plan.ts";

/**
 * The bench's update (bench/scale.ts): LoRA rank 16 on q/k/v/o, the base reference scored in the training
 * graph, 4-row micro-batches, 16 new tokens.
 */
function benchEstimate(size: string): number {
  return estimateStepMemory({
    config: SIZES[size],
    lora: { rank: 16, alpha: 32, targets: ["q_proj", "k_proj", "v_proj", "o_proj"] },
    trains: true,
    reference: false,
    generates: true,
    microbatchRows: 4,
    maxRowTokens: 200,
    lossTokens: 64,
    generation: { sequences: 4, prompts: 4, maxPromptTokens: 180, maxNewTokens: 16 },
  }).peak;
}

/** Peak RSS of the bench's update at `size`, run in its own process. */
async function measuredPeak(size: string): Promise<number> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../bench/scale.ts", import.meta.url).pathname, "--size", size],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(success, `bench/scale.ts --size ${size} failed`);
  const last = new TextDecoder().decode(stdout).trim().split("\n").at(-1)!.split("\t");
  return Number(last.at(-1)) * 1024 ** 3;
}

for (const size of ["10m", "40m"]) {
  Deno.test(`the memory estimate is within 25% of the measured peak RSS of a LoRA SCoRe update (${size})`, async () => {
    const estimate = benchEstimate(size);
    const measured = await measuredPeak(size);
    const error = Math.abs(estimate - measured) / measured;
    assert.ok(
      error <= 0.25,
      `estimate ${(estimate / 2 ** 30).toFixed(2)} GiB, measured ${(measured / 2 ** 30).toFixed(2)} GiB`,
    );
  });
}

Deno.test("LoRA estimates less than full training for the same step, and parts are named, largest first", () => {
  const shape = {
    config: SIZES["0.5b"],
    trains: true,
    reference: true,
    generates: true,
    microbatchRows: 4,
    maxRowTokens: 1024,
    lossTokens: 2048,
  };
  const lora = estimateStepMemory({ ...shape, lora: { rank: 16, targets: ["q_proj", "v_proj"] } });
  const full = estimateStepMemory(shape);
  assert.ok(full.parts.some((p) => p.name.startsWith("trained parameters") && p.bytes > 5e9));
  assert.ok(lora.parts.find((p) => p.name.startsWith("trained"))!.bytes < 1e8);
  lora.parts.forEach((part, i) => i > 0 && assert.ok(part.bytes <= lora.parts[i - 1].bytes));
});
