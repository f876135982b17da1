import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { createSession } from "../runtime.ts";
import { gradients } from "./autodiff.ts";
import { seededValues } from "./grad_check.ts";
import { Graph } from "./graph.ts";

// Regression: onnxruntime's ScatterND with reduction "add" loses updates for repeated indices when several
// threads run it, which made embedding gradients wrong (and runs irreproducible) on 2 threads. The Gather
// rule now sums rows race-free; this checks it on many threads against a sum taken in TypeScript.
Deno.test("the embedding gradient is exact with repeated ids on several threads", async () => {
  const vocab = 37, width = 64, tokens = 4096;
  const g = new Graph("embedding_adjoint");
  const table = g.input("table", "float32", [vocab, width]);
  const ids = g.input("ids", "int64", [tokens]);
  const upstream = g.input("upstream", "float32", [tokens, width]);
  const rows = g.gather(table, ids, 0);
  const loss = g.output(g.reduceSum(g.mul(rows, upstream), [0, 1]), "loss");
  g.output(gradients(g, loss, [table])[0], "grad_table");
  const session = await createSession(g.toModel().onnx, { threads: 4 });

  const idValues = BigInt64Array.from({ length: tokens }, (_, i) => BigInt((i * i + 3 * i) % vocab));
  const dy = Float32Array.from(seededValues(tokens * width, 5));
  const expected = new Float64Array(vocab * width);
  idValues.forEach((id, n) => {
    for (let k = 0; k < width; k++) expected[Number(id) * width + k] += dy[n * width + k];
  });
  for (let run = 0; run < 5; run++) {
    const out = await session.run({
      table: new ort.Tensor("float32", new Float32Array(vocab * width), [vocab, width]),
      ids: new ort.Tensor("int64", idValues, [tokens]),
      upstream: new ort.Tensor("float32", dy, [tokens, width]),
    });
    const grad = out.grad_table.data as Float32Array;
    const worst = grad.reduce((max, value, i) => Math.max(max, Math.abs(value - expected[i])), 0);
    assert.ok(worst < 1e-3, `run ${run}: largest error ${worst}`);
  }
});
