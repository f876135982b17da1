import assert from "node:assert/strict";
import { groupStatus, groupSteps, layoutGraph, NODE } from "./graph.js";
import { stepFixture } from "../testing.ts";

/** score.yaml's shape: 18 declared steps, SCoRe's stages and evaluation over three seeds. */
function scoreShape() {
  const needs: Record<string, string[]> = {
    train: [],
    test: [],
    rollout_problems: [],
    corpus: [],
    init: [],
    base: ["init", "corpus"],
    eval_base: ["base", "test"],
    eval_self_refine: ["base", "test"],
    base_rollouts: ["base", "rollout_problems"],
    star_data: ["base_rollouts"],
    pair_data: ["base_rollouts", "train"],
    star: ["base", "star_data"],
    pair_sft: ["base", "pair_data"],
    eval_star: ["star", "test"],
    eval_pair_sft: ["pair_sft", "test"],
    stage1: ["base", "train"],
    stage2: ["stage1", "base", "train"],
    eval_score: ["stage2", "test"],
    report: ["eval_base", "eval_score", "stage2"],
  };
  const seeded = new Set(["stage1", "stage2", "eval_score"]);
  const seeds = [0, 1, 2];
  // as the API lists them: an instance needs the instance with its seed, a plain step every instance
  const needsOf = (deps: string[], seed?: number) =>
    deps.flatMap((dep) =>
      !seeded.has(dep)
        ? [dep]
        : seed === undefined
        ? seeds.map((s) => `${dep}[seed=${s}]`)
        : [`${dep}[seed=${seed}]`]
    );
  return Object.entries(needs).flatMap(([id, deps]) =>
    seeded.has(id)
      ? seeds.map((seed) =>
        stepFixture(`${id}[seed=${seed}]`, {
          needs: needsOf(deps, seed),
          status: seed === 2 ? "running" : "done",
        })
      )
      : [stepFixture(id, { needs: needsOf(deps) })]
  );
}

Deno.test("groupSteps: a matrix step's instances share one node with a combined state and progress", () => {
  const groups = groupSteps(scoreShape());
  assert.equal(groups.length, 19);
  const stage1 = groups.find((g) => g.id === "stage1")!;
  assert.deepEqual(stage1.steps.map((s) => s.id), ["stage1[seed=0]", "stage1[seed=1]", "stage1[seed=2]"]);
  assert.equal(stage1.status, "running");
  assert.deepEqual(groups.find((g) => g.id === "report")!.needs, ["eval_base", "eval_score", "stage2"]);
  assert.deepEqual(groups.find((g) => g.id === "stage2")!.needs, ["stage1", "base", "train"]);
  assert.equal(Math.round(stage1.percent), 67);
  assert.equal(
    groupStatus([stepFixture("a", { status: "cached" }), stepFixture("b", { status: "failed" })]),
    "failed",
  );
});

Deno.test("layoutGraph fits any width: no node leaves the panel, and needs point downwards", () => {
  const groups = groupSteps(scoreShape());
  for (const width of [1200, 900, 600, 320, 150]) {
    const layout = layoutGraph(groups, width);
    assert.equal(layout.nodes.size, groups.length);
    for (const [id, at] of layout.nodes) {
      assert.ok(
        at.x >= 0 && at.x + layout.nodeWidth <= Math.max(width, layout.nodeWidth + 2 * NODE.pad),
        `${id} at ${width}px`,
      );
      assert.ok(at.y >= 0 && at.y + NODE.height <= layout.height, `${id} inside the height at ${width}px`);
    }
    for (const group of groups) {
      for (const need of group.needs) {
        assert.ok(layout.nodes.get(need)!.y < layout.nodes.get(group.id)!.y, `${need} above ${group.id}`);
      }
    }
    const rows = new Map<number, number>();
    for (const at of layout.nodes.values()) rows.set(at.y, (rows.get(at.y) ?? 0) + 1);
    const fit = Math.max(1, Math.floor((width - 2 * NODE.pad + NODE.gapX) / (layout.nodeWidth + NODE.gapX)));
    assert.ok([...rows.values()].every((n) => n <= fit), `rows wrap at ${width}px`);
  }
  assert.equal(
    layoutGraph(groups, 1200).edges.filter((e) => e.to === "stage2").length,
    3,
    "one edge per need",
  );
});
