import assert from "node:assert/strict";
import { PROVIDERS } from "../model/runtime.ts";
import { diagnoseProviders, formatStatuses } from "./doctor.ts";

Deno.test("doctor: every provider is listed; cpu runs the test graph; others load or say why and how to fix", async () => {
  const statuses = await diagnoseProviders();
  assert.deepEqual(statuses.map((s) => s.provider), [...PROVIDERS]);
  assert.equal(statuses[0].loads, true);
  for (const status of statuses.filter((s) => !s.loads)) {
    assert.ok(status.reason && status.reason.length > 0, `${status.provider} gives onnxruntime's reason`);
    assert.ok(status.fix && status.fix.length > 0, `${status.provider} says what to install`);
  }
  const text = formatStatuses(statuses);
  assert.ok(text.startsWith("cpu     loads"));
  assert.equal(text.split("\n").filter((line) => /^\S/.test(line)).length, PROVIDERS.length);
});
