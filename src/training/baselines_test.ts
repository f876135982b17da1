import assert from "node:assert/strict";
import { firstAttemptExamples, pairSftExamples, starExamples } from "./baselines.ts";
import type { JudgedRollout } from "./rollout.ts";
import { SftExample } from "./sft_example.ts";

function rollout(id: string, first: [string, boolean], second: [string, boolean]): JudgedRollout {
  return {
    id,
    problem: `problem ${id}`,
    attempt1: { text: first[0], correct: first[1] },
    attempt2: { text: second[0], correct: second[1] },
  };
}

const rollouts = [
  rollout("a", ["a-wrong", false], ["a-right", true]), // incorrect -> correct
  rollout("a", ["a-right", true], ["a-right", true]), // correct -> correct
  rollout("b", ["b-right", true], ["b-wrong", false]), // correct -> incorrect
  rollout("c", ["c-wrong1", false], ["c-wrong1", false]), // incorrect -> incorrect, never right
  rollout("c", ["c-wrong2", false], ["c-wrong2", false]),
];

Deno.test("STaR keeps traces that end right; the plain variant only incorrect-to-correct ones", () => {
  const plusCorrect = starExamples(rollouts);
  assert.deepEqual(plusCorrect.map((e) => [e.attempt1, e.completion]), [["a-wrong", "a-right"], [
    "a-right",
    "a-right",
  ]]);
  assert.equal(plusCorrect[0].kind, "trace");
  assert.equal(plusCorrect[0].problem, "problem a");
  const plain = starExamples(rollouts, false);
  assert.deepEqual(plain.map((e) => [e.attempt1, e.completion]), [["a-wrong", "a-right"]]);
});

Deno.test("Pair-SFT joins each incorrect first attempt to a correct response to the same problem", () => {
  const pairs = pairSftExamples(rollouts);
  // Problem a: one wrong first attempt, paired with the model's own right answer. b: no wrong first attempt.
  // c: never right and no gold solution given, so no pair.
  assert.deepEqual(pairs.map((e) => [e.id, e.attempt1, e.completion]), [[
    "pair-sft/a/0",
    "a-wrong",
    "a-right",
  ]]);
});

Deno.test("Pair-SFT falls back to gold solutions and caps pairs per problem", () => {
  const gold = new Map([["c", "c-gold"]]);
  const pairs = pairSftExamples(rollouts, { goldSolutions: gold, maxPairsPerProblem: 1 });
  assert.deepEqual(pairs.map((e) => [e.attempt1, e.completion]), [["a-wrong", "a-right"], [
    "c-wrong1",
    "c-gold",
  ]]);
  const uncapped = pairSftExamples(rollouts, { goldSolutions: gold });
  assert.deepEqual(uncapped.filter((e) => e.problem === "problem c").map((e) => e.attempt1), [
    "c-wrong1",
    "c-wrong2",
  ]);
});

Deno.test("baseline examples are valid SFT examples", () => {
  for (const example of [...starExamples(rollouts), ...pairSftExamples(rollouts)]) SftExample.parse(example);
  assert.throws(
    () => SftExample.parse({ id: "x", kind: "trace", problem: "p", completion: "c" }),
    /needs attempt1/,
  );
});

Deno.test("first-attempt rows: each problem's distinct right first attempts, as solution records", () => {
  const firsts = firstAttemptExamples([...rollouts, rollout("a", ["a-right", true], ["a-wrong", false])]);
  assert.deepEqual(firsts, [
    { id: "first/a/0", kind: "solution", problem: "problem a", completion: "a-right" },
    { id: "first/b/0", kind: "solution", problem: "problem b", completion: "b-right" },
  ]);
  for (const example of firsts) SftExample.parse(example);
});
