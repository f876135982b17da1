import assert from "node:assert/strict";
import { formatBytes, progressText } from "./progress.ts";

Deno.test("download progress reads in bytes, rate and ETA", () => {
  assert.deepEqual([512, 3_400, 98_765_432, 1_200_000_000].map(formatBytes), [
    "512 B",
    "3.40 kB",
    "98.8 MB",
    "1.20 GB",
  ]);
  assert.equal(
    progressText("model.safetensors", 25_000_000, 100_000_000, 5_000_000),
    "[#####...............] 25.0 MB / 100.0 MB  5.00 MB/s  ETA 15s  model.safetensors",
  );
  assert.equal(progressText("x.json", 2_000, undefined, 0), "2.00 kB  x.json");
});
