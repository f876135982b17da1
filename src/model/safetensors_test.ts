import assert from "node:assert/strict";
import { join } from "node:path";
import {
  bf16ToF32,
  encodeSafetensors,
  f32ToBf16,
  readSafetensors,
  readSafetensorsCheckpoint,
  readSafetensorsHeader,
  type TensorToWrite,
  writeSafetensors,
} from "./safetensors.ts";
import { assertRejectsWith } from "./testing.ts";

function sampleTensors(): Map<string, TensorToWrite> {
  return new Map<string, TensorToWrite>([
    ["a.weight", { shape: [2, 3], data: new Float32Array([1, -2.5, 3.25, 0, 1e-3, -7]) }],
    ["b.bias", { shape: [3], data: new Float32Array([0.5, 1.5, -0.25]) }],
    ["ids", { shape: [2], data: new BigInt64Array([3n, -9007199254740993n]) }],
    ["mask", { shape: [1, 2], data: new Int32Array([1, 0]) }],
  ]);
}

Deno.test("safetensors: F32/I64/I32 round trip keeps values, shapes, order and metadata", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.safetensors");
  await writeSafetensors(path, sampleTensors(), { format: "pt" });
  const loaded = await readSafetensors(path);
  assert.deepEqual([...loaded.tensors.keys()], ["a.weight", "b.bias", "ids", "mask"]);
  for (const [name, tensor] of sampleTensors()) {
    assert.deepEqual(loaded.tensors.get(name)?.shape, tensor.shape);
    assert.deepEqual(loaded.tensors.get(name)?.data, tensor.data);
  }
  assert.deepEqual(loaded.metadata, { format: "pt" });
});

Deno.test("safetensors: data starts 8-byte aligned and the in-memory encoding matches the file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.safetensors");
  await writeSafetensors(path, sampleTensors());
  const bytes = await Deno.readFile(path);
  assert.deepEqual(bytes, encodeSafetensors(sampleTensors()));
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.deepEqual(headerLength % 8, 0);
});

Deno.test("safetensors: only the named tensors load", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.safetensors");
  await writeSafetensors(path, sampleTensors());
  const loaded = await readSafetensors(path, { names: ["b.bias"] });
  assert.deepEqual([...loaded.tensors.keys()], ["b.bias"]);
});

Deno.test("safetensors: bf16 conversion rounds to nearest even and keeps specials", () => {
  const values = new Float32Array([1, -2, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.14159, Infinity, -0, 65504]);
  const back = bf16ToF32(f32ToBf16(values));
  // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: rounds to the even mantissa, 1. 1 + 3*2^-8 rounds up to 1 + 2^-6.
  assert.deepEqual([...back.slice(0, 4)], [1, -2, 1, 1 + 2 ** -6]);
  assert.ok(Math.abs(back[4] - 3.14159) < 3.14159 * 2 ** -8);
  assert.deepEqual(back[5], Infinity);
  assert.ok(Object.is(back[6], -0));
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(new Float32Array([NaN])))[0]));
});

Deno.test("safetensors: F16 and BF16 tensors are stored half size and load as fp32", async () => {
  const dir = await Deno.makeTempDir();
  const values = new Float32Array([0.1, -1.75, 1000.5, 6e-5, 2]);
  for (const dtype of ["F16", "BF16"] as const) {
    const path = join(dir, `${dtype}.safetensors`);
    await writeSafetensors(path, new Map([["w", { shape: [5], data: values, dtype }]]));
    assert.deepEqual((await readSafetensorsHeader(path)).get("w")?.dtype, dtype);
    const loaded = (await readSafetensors(path)).tensors.get("w")?.data;
    assert.ok(loaded instanceof Float32Array);
    const relative = dtype === "F16" ? 2 ** -11 : 2 ** -8;
    for (let i = 0; i < values.length; i++) {
      assert.ok(Math.abs(loaded[i] - values[i]) <= Math.abs(values[i]) * relative, `${dtype} value ${i}`);
    }
    assert.deepEqual(loaded[4], 2);
  }
});

Deno.test("safetensors: sharded checkpoints load through the index", async () => {
  const dir = await Deno.makeTempDir();
  const tensors = sampleTensors();
  const [first, second] = [[...tensors].slice(0, 2), [...tensors].slice(2)];
  await writeSafetensors(join(dir, "model-00001-of-00002.safetensors"), new Map(first));
  await writeSafetensors(join(dir, "model-00002-of-00002.safetensors"), new Map(second));
  const weightMap = Object.fromEntries([
    ...first.map(([name]) => [name, "model-00001-of-00002.safetensors"]),
    ...second.map(([name]) => [name, "model-00002-of-00002.safetensors"]),
  ]);
  await Deno.writeTextFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ weight_map: weightMap }),
  );
  const loaded = await readSafetensorsCheckpoint(dir);
  assert.deepEqual(new Set(loaded.tensors.keys()), new Set(tensors.keys()));
  assert.deepEqual(loaded.tensors.get("mask")?.data, new Int32Array([1, 0]));
});

Deno.test("safetensors: a shard index naming a tensor its shard lacks names both", async () => {
  const dir = await Deno.makeTempDir();
  await writeSafetensors(
    join(dir, "s1.safetensors"),
    new Map([["x", { shape: [1], data: new Float32Array(1) }]]),
  );
  await Deno.writeTextFile(
    join(dir, "model.safetensors.index.json"),
    JSON.stringify({ weight_map: { x: "s1.safetensors", y: "s1.safetensors" } }),
  );
  await assertRejectsWith(() => readSafetensorsCheckpoint(dir), `s1.safetensors: tensor "y" is missing`);
});

Deno.test("safetensors: truncated files name the file and the tensor", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "t.safetensors");
  await writeSafetensors(path, sampleTensors());
  const bytes = await Deno.readFile(path);
  await Deno.writeFile(path, bytes.subarray(0, bytes.length - 3));
  const error = await assertRejectsWith(() => readSafetensors(path), `${path}: tensor "mask"`);
  assert.ok(error.message.includes("truncated"));
  assert.ok(!error.message.includes("\n"));
  await Deno.writeFile(path, bytes.subarray(0, 5));
  await assertRejectsWith(() => readSafetensors(path), "truncated");
  await Deno.writeFile(path, bytes.subarray(0, 20));
  await assertRejectsWith(() => readSafetensors(path), "bad safetensors header length");
});

Deno.test("safetensors: malformed headers give one-line errors naming file and tensor", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "bad.safetensors");
  const cases: [unknown, string][] = [
    [{ w: { dtype: "Q4", shape: [1], data_offsets: [0, 4] } }, `tensor "w": unsupported dtype "Q4"`],
    [{ w: { dtype: "F32", shape: [2], data_offsets: [0, 4] } }, `tensor "w": data_offsets span 4 bytes`],
    [{ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, `tensor "w": bad shape`],
    [{ w: { dtype: "F32", shape: [1], data_offsets: [4] } }, `tensor "w": bad data_offsets`],
    [[1, 2], "bad safetensors header, expected a JSON object"],
  ];
  for (const [header, message] of cases) {
    await Deno.writeFile(path, withHeader(JSON.stringify(header), 4));
    await assertRejectsWith(() => readSafetensors(path), `${path}: ${message}`);
  }
  await Deno.writeFile(path, withHeader("{not json", 4));
  await assertRejectsWith(() => readSafetensors(path), `${path}: bad safetensors header, not JSON`);
});

Deno.test("safetensors: writing rejects data that does not fill its shape", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejectsWith(
    () =>
      writeSafetensors(
        join(dir, "x.safetensors"),
        new Map([["w", { shape: [2, 2], data: new Float32Array(3) }]]),
      ),
    `tensor "w" has 3 values but shape [2,2]`,
  );
});

Deno.test("safetensors: a folder without weights says so", async () => {
  const dir = await Deno.makeTempDir();
  await assertRejectsWith(() => readSafetensorsCheckpoint(dir), "no model.safetensors");
});

function withHeader(json: string, dataBytes: number): Uint8Array {
  const text = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + text.length + dataBytes);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
  bytes.set(text, 8);
  return bytes;
}
