import assert from "node:assert/strict";
import { Graph } from "./onnx/graph.ts";
import { createSession } from "./runtime.ts";

function tinyModel(): Uint8Array {
  const g = new Graph("tiny");
  const x = g.input("x", "float32", [2]);
  g.output(g.exp(x), "y");
  return g.toModel().onnx;
}

Deno.test("createSession runs a graph on the CPU provider", async () => {
  const session = await createSession(tinyModel(), { threads: 1 });
  assert.deepEqual(session.outputNames, ["y"]);
  await session.release();
});

Deno.test("createSession names the provider when it cannot be loaded", async () => {
  const error = await createSession(tinyModel(), { provider: "cuda" }).then(
    () => null,
    (e: Error) => e,
  );
  // A machine with a CUDA build of onnxruntime-node loads it; elsewhere the error must say what to do.
  if (error) assert.match(error.message, /could not start the cuda execution provider.*use provider "cpu"/s);
});
