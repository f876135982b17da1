import * as ort from "onnxruntime-node";
const P = 48;
for (const threads of [0, 1, 2]) {
const s = await ort.InferenceSession.create(".bench/generate-llama-25m/onnx/model.onnx", { graphOptimizationLevel: "all", intraOpNumThreads: threads, enableProfiling: threads === 1, profileFilePrefix: "/tmp/ortprof" });
const feeds = (rows: number, S: number, past: number, pastT?: Record<string, ort.Tensor>) => {
  const f: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor("int64", new BigInt64Array(rows * S).fill(5n), [rows, S]),
    attention_mask: new ort.Tensor("int64", new BigInt64Array(rows * (past + S)).fill(1n), [rows, past + S]),
    position_ids: new ort.Tensor("int64", BigInt64Array.from({ length: rows * S }, (_, i) => BigInt(past + (i % S))), [rows, S]),
  };
  for (let l = 0; l < 7; l++) for (const kv of ["key", "value"]) f[`past_key_values.${l}.${kv}`] = pastT?.[`present.${l}.${kv}`] ?? new ort.Tensor("float32", new Float32Array(0), [rows, 4, 0, 64]);
  return f;
};
const rows = 1;
let out = await s.run(feeds(rows, P, 0));
const t = performance.now();
for (let i = 0; i < 20; i++) out = await s.run(feeds(rows, 1, P + i, out));
console.log("threads", threads, ((performance.now() - t) / 20).toFixed(2), "ms/step");
if (threads === 1) console.log(s.endProfiling?.());
}
