import assert from "node:assert/strict";
import { Graph } from "./onnx/graph.ts";
import { createSession, OrtTensor } from "./runtime.ts";

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

Deno.test("createSession without spinning threads computes the same results", async () => {
  const session = await createSession(tinyModel(), { threads: 2, spinning: false });
  const out = await session.run({ x: new OrtTensor("float32", Float32Array.from([0, 1]), [2]) });
  const [y0, y1] = out.y.data as Float32Array;
  assert.equal(y0, 1);
  assert.ok(Math.abs(y1 - Math.E) < 1e-6, `exp(1) = ${y1}`);
  await session.release();
});
