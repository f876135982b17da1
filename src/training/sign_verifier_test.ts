import assert from "node:assert/strict";
import { verifierFor } from "./verifiers.ts";
import { ProblemFields } from "./verifiers.ts";

Deno.test("task sign judges boxed sign expressions against the statement's puzzle", async () => {
  const verifier = await verifierFor("sign", ProblemFields.parse({}));
  const problem = { id: "p", statement: "Make 3 from 3 5 2 7.", record: {} };
  const verdicts = await verifier.judge([
    { problem, response: "3+5=8, 8+2=10, 10-7=3. \\boxed{3+5+2-7}" },
    { problem, response: "3+5=8, 8+2=10, 10+7=17. \\boxed{3+5+2+7}" },
    { problem, response: "\\boxed{3}" },
  ]);
  assert.deepEqual(verdicts.map((v) => [v.correct, v.reason]), [
    [true, "correct"],
    [false, "wrong value"],
    [false, "boxed value only"],
  ]);
});
