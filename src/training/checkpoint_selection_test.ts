import assert from "node:assert/strict";
import { BestWeights, copyWeights, selectionReward } from "./checkpoint_selection.ts";

function weights(value: number): Map<string, Float32Array> {
  return new Map([["w", new Float32Array([value, value + 1])]]);
}

Deno.test("selectionReward judges each stage by the reward it optimises", () => {
  const rewards = { rewardAttempt1: 0.25, rewardAttempt2: 0.5 };
  assert.equal(selectionReward("stage1", rewards), 0.5);
  assert.equal(selectionReward("stage2", rewards), 0.75);
  assert.equal(selectionReward("single_turn", rewards), 0.25);
});

Deno.test("BestWeights keeps the highest reward, later updates win ties, NaN is never kept", () => {
  const best = new BestWeights();
  assert.equal(best.offer(0, Number.NaN, weights(0)), false);
  assert.equal(best.best, undefined);
  assert.ok(best.offer(1, 0.5, weights(1)));
  assert.equal(best.offer(2, 0.25, weights(2)), false);
  assert.ok(best.offer(3, 0.5, weights(3)));
  assert.deepEqual(best.best, { update: 3, reward: 0.5 });
  assert.deepEqual([...best.weights!.get("w")!], [3, 4]);
});

Deno.test("copyWeights is not changed by later in-place updates", () => {
  const live = weights(1);
  const copy = copyWeights(live);
  live.get("w")![0] = 9;
  assert.deepEqual([...copy.get("w")!], [1, 2]);
});

Deno.test("BestWeights written into a checkpoint directory reads back identically", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const best = new BestWeights();
    best.offer(4, 0.75, weights(0.5));
    await best.write(dir);
    const restored = new BestWeights();
    await restored.read(dir, best.best!);
    assert.deepEqual(restored.best, { update: 4, reward: 0.75 });
    assert.deepEqual([...restored.weights!.get("w")!], [0.5, 1.5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
