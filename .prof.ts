import { GenerationModel } from "./src/inference/model.ts";
const model = await GenerationModel.load(".bench/generate-llama-25m");
const s = model.generator.session;
for (const rows of [1, 8, 32]) {
  let cache = s.emptyCache(rows);
  const P = 48;
  const pre = await s.forward({ inputIds: new BigInt64Array(rows * P).fill(5n), attentionMask: new BigInt64Array(rows * P).fill(1n), positionIds: BigInt64Array.from({ length: rows * P }, (_, i) => BigInt(i % P)), rows, tokens: P, past: cache });
  cache = pre.present;
  const t = performance.now();
  const steps = 20;
  for (let i = 0; i < steps; i++) {
    const out = await s.forward({ inputIds: new BigInt64Array(rows).fill(7n), attentionMask: new BigInt64Array(rows * (cache.length + 1)).fill(1n), positionIds: new BigInt64Array(rows).fill(BigInt(P + i)), rows, tokens: 1, past: cache });
    cache = out.present;
  }
  console.log(rows, ((performance.now() - t) / steps).toFixed(2), "ms/step");
}
