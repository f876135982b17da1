/**
 * Reads and writes the safetensors format: an 8-byte little-endian header length, a JSON header that maps
 * each tensor name to its dtype, shape and byte range, then the raw little-endian tensor bytes.
 *
 * Floating-point tensors (F64, F32, F16, BF16) load as `Float32Array`; I64 and I32 load as `BigInt64Array`
 * and `Int32Array`. Files are read tensor by tensor with positioned reads, so loading never holds the whole
 * file plus its converted copy in memory at once, and F32 data is read straight into its final array.
 * Sharded checkpoints (`model.safetensors.index.json`) are read by {@linkcode readSafetensorsCheckpoint}.
 *
 * Every error is one line that names the file and, where there is one, the tensor.
 *
 * @module
 */
import { join } from "node:path";
import { exists, writeAll } from "../util/fs.ts";

/** The dtypes this module reads from files. */
export type StoredDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32";

/** The dtypes a `Float32Array` may be written as. */
export type FloatDtype = "F32" | "F16" | "BF16";

/** A loaded tensor: floating-point data is always widened (or narrowed, for F64) to fp32. */
export interface Tensor {
  shape: number[];
  data: Float32Array | Int32Array | BigInt64Array;
}

/** A tensor to write; `dtype` chooses the on-disk precision of float data and defaults to F32. */
export interface TensorToWrite extends Tensor {
  dtype?: FloatDtype;
}

/** The tensors and the free-form string metadata of one safetensors file or checkpoint. */
export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Options for {@linkcode readSafetensors}. */
export interface ReadOptions {
  /** Load only these tensors (all when omitted); a listed name that the file lacks is an error. */
  names?: Iterable<string>;
  /** Expected shapes: a loaded tensor listed here with another shape is an error, raised before any data is read. */
  shapes?: Map<string, number[]>;
}

/** One header entry, as validated from the file. */
interface HeaderEntry {
  dtype: StoredDtype;
  shape: number[];
  begin: number;
  end: number;
}

const BYTES_PER_ELEMENT: Record<StoredDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4 };
const HEADER_LENGTH_BYTES = 8;
/** Headers beyond this size are rejected as corrupt rather than allocated (the reference reader uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("safetensors: this module assumes a little-endian host");
}

/** Reads one safetensors file; floats become fp32. */
export async function readSafetensors(path: string, options: ReadOptions = {}): Promise<Safetensors> {
  using file = await Deno.open(path, { read: true });
  const fileSize = (await file.stat()).size;
  const { entries, metadata, dataStart } = await readHeader(file, fileSize, path);
  const wanted = options.names ? [...options.names] : [...entries.keys()];
  for (const name of wanted) {
    const entry = entries.get(name);
    if (!entry) throw new Error(`${path}: tensor "${name}" is missing from the file`);
    const expected = options.shapes?.get(name);
    if (expected && expected.join(",") !== entry.shape.join(",")) {
      throw new Error(`${path}: tensor "${name}" has shape [${entry.shape}] but [${expected}] is expected`);
    }
  }
  const tensors = new Map<string, Tensor>();
  for (const name of wanted) {
    tensors.set(name, await readTensor(file, dataStart, entries.get(name)!, `${path}: tensor "${name}"`));
  }
  return { tensors, metadata };
}

/** Reads only the header of a safetensors file: each tensor's stored dtype and shape. */
export async function readSafetensorsHeader(
  path: string,
): Promise<Map<string, { dtype: StoredDtype; shape: number[] }>> {
  using file = await Deno.open(path, { read: true });
  const { entries } = await readHeader(file, (await file.stat()).size, path);
  return new Map([...entries].map(([name, e]) => [name, { dtype: e.dtype, shape: e.shape }]));
}

/**
 * Reads the weights of a Hugging Face checkpoint folder: `model.safetensors`, or the shards listed by
 * `model.safetensors.index.json`. With `names`, only those tensors load, from whichever shard holds them.
 */
export async function readSafetensorsCheckpoint(
  dir: string,
  options: ReadOptions = {},
): Promise<Safetensors> {
  const single = join(dir, "model.safetensors");
  if (await exists(single)) return await readSafetensors(single, options);
  const indexPath = join(dir, "model.safetensors.index.json");
  if (!(await exists(indexPath))) {
    throw new Error(
      `${dir}: no model.safetensors or model.safetensors.index.json; is this a checkpoint folder?`,
    );
  }
  const namesByShard = await readShardIndex(indexPath, options.names);
  const merged: Safetensors = { tensors: new Map(), metadata: {} };
  for (const [shard, names] of namesByShard) {
    const part = await readSafetensors(join(dir, shard), { names, shapes: options.shapes });
    for (const [name, tensor] of part.tensors) merged.tensors.set(name, tensor);
    Object.assign(merged.metadata, part.metadata);
  }
  return merged;
}

/** Writes tensors (in the map's order) and string metadata as one safetensors file. */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const { header, payloads } = layoutTensors(tensors, metadata);
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  await writeAll(file, header);
  for (const payload of payloads) await writeAll(file, payload);
}

/** Encodes tensors and metadata as the bytes of a safetensors file, in memory. */
export function encodeSafetensors(
  tensors: Map<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const { header, payloads } = layoutTensors(tensors, metadata);
  const total = payloads.reduce((sum, p) => sum + p.byteLength, header.byteLength);
  const bytes = new Uint8Array(total);
  bytes.set(header, 0);
  let offset = header.byteLength;
  for (const payload of payloads) {
    bytes.set(payload, offset);
    offset += payload.byteLength;
  }
  return bytes;
}

/** Converts bfloat16 bit patterns to fp32. */
export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i] << 16;
  return new Float32Array(out.buffer);
}

/** Converts fp32 values to bfloat16 bit patterns, rounding to nearest even (NaN stays NaN). */
export function f32ToBf16(values: Float32Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const isNaN = (w & 0x7f800000) === 0x7f800000 && (w & 0x007fffff) !== 0;
    out[i] = isNaN ? (w >>> 16) | 0x0040 : (w + 0x7fff + ((w >>> 16) & 1)) >>> 16;
  }
  return out;
}

async function readHeader(
  file: Deno.FsFile,
  fileSize: number,
  path: string,
): Promise<{ entries: Map<string, HeaderEntry>; metadata: Record<string, string>; dataStart: number }> {
  if (fileSize < HEADER_LENGTH_BYTES) {
    throw new Error(
      `${path}: truncated safetensors file (${fileSize} bytes, shorter than the 8-byte header length)`,
    );
  }
  const lengthBytes = await readExactly(file, 0, HEADER_LENGTH_BYTES, `${path}: header length`);
  const headerLength = Number(new DataView(lengthBytes.buffer).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || HEADER_LENGTH_BYTES + headerLength > fileSize) {
    throw new Error(
      `${path}: bad safetensors header length ${headerLength} for a ${fileSize}-byte file (truncated or not safetensors)`,
    );
  }
  const headerBytes = await readExactly(file, HEADER_LENGTH_BYTES, headerLength, `${path}: header`);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const { entries, metadata } = parseHeader(headerBytes, path);
  const dataSize = fileSize - dataStart;
  for (const [name, entry] of entries) {
    if (entry.end > dataSize) {
      throw new Error(
        `${path}: tensor "${name}" ends at data byte ${entry.end} but the file holds ${dataSize} data bytes (truncated file)`,
      );
    }
  }
  return { entries, metadata, dataStart };
}

function parseHeader(
  bytes: Uint8Array,
  path: string,
): { entries: Map<string, HeaderEntry>; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`${path}: bad safetensors header, not JSON (${(error as Error).message})`);
  }
  if (!isRecord(json)) throw new Error(`${path}: bad safetensors header, expected a JSON object`);
  const metadata: Record<string, string> = {};
  const entries = new Map<string, HeaderEntry>();
  for (const [name, value] of Object.entries(json)) {
    if (name === "__metadata__") {
      if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string")) {
        throw new Error(`${path}: bad safetensors header, __metadata__ must map strings to strings`);
      }
      Object.assign(metadata, value);
    } else {
      entries.set(name, parseEntry(value, `${path}: tensor "${name}"`));
    }
  }
  return { entries, metadata };
}

function parseEntry(value: unknown, where: string): HeaderEntry {
  if (!isRecord(value)) throw new Error(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string" || !(dtype in BYTES_PER_ELEMENT)) {
    throw new Error(
      `${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: F64 F32 F16 BF16 I64 I32)`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${where}: bad shape ${JSON.stringify(shape)}, expected non-negative integers`);
  }
  if (
    !Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    throw new Error(`${where}: bad data_offsets ${JSON.stringify(offsets)}, expected [begin, end]`);
  }
  const entry: HeaderEntry = { dtype: dtype as StoredDtype, shape, begin: offsets[0], end: offsets[1] };
  const expected = elementCount(shape) * BYTES_PER_ELEMENT[entry.dtype];
  if (entry.end - entry.begin !== expected) {
    throw new Error(
      `${where}: data_offsets span ${
        entry.end - entry.begin
      } bytes but ${dtype} [${shape}] needs ${expected}`,
    );
  }
  return entry;
}

async function readTensor(
  file: Deno.FsFile,
  dataStart: number,
  entry: HeaderEntry,
  where: string,
): Promise<Tensor> {
  const count = elementCount(entry.shape);
  const position = dataStart + entry.begin;
  const byteLength = entry.end - entry.begin;
  switch (entry.dtype) {
    case "F32": {
      const data = new Float32Array(count);
      await readInto(file, position, new Uint8Array(data.buffer), where);
      return { shape: entry.shape, data };
    }
    case "I32": {
      const data = new Int32Array(count);
      await readInto(file, position, new Uint8Array(data.buffer), where);
      return { shape: entry.shape, data };
    }
    case "I64": {
      const data = new BigInt64Array(count);
      await readInto(file, position, new Uint8Array(data.buffer), where);
      return { shape: entry.shape, data };
    }
    case "BF16": {
      const bytes = await readExactly(file, position, byteLength, where);
      return { shape: entry.shape, data: bf16ToF32(new Uint16Array(bytes.buffer)) };
    }
    case "F16": {
      const bytes = await readExactly(file, position, byteLength, where);
      return { shape: entry.shape, data: Float32Array.from(new Float16Array(bytes.buffer)) };
    }
    case "F64": {
      const bytes = await readExactly(file, position, byteLength, where);
      return { shape: entry.shape, data: Float32Array.from(new Float64Array(bytes.buffer)) };
    }
  }
}

async function readShardIndex(indexPath: string, wanted?: Iterable<string>): Promise<Map<string, string[]>> {
  let index: unknown;
  try {
    index = JSON.parse(await Deno.readTextFile(indexPath));
  } catch (error) {
    throw new Error(`${indexPath}: cannot read shard index (${(error as Error).message})`);
  }
  const weightMap = isRecord(index) ? index.weight_map : undefined;
  if (!isRecord(weightMap)) throw new Error(`${indexPath}: shard index has no "weight_map" object`);
  const namesByShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== "string") {
      throw new Error(`${indexPath}: tensor "${name}" maps to a non-string shard`);
    }
    namesByShard.set(shard, [...(namesByShard.get(shard) ?? []), name]);
  }
  if (wanted === undefined) return namesByShard;
  const wantedByShard = new Map<string, string[]>();
  for (const name of wanted) {
    const shard = weightMap[name];
    if (typeof shard !== "string") {
      throw new Error(`${indexPath}: tensor "${name}" is missing from weight_map`);
    }
    wantedByShard.set(shard, [...(wantedByShard.get(shard) ?? []), name]);
  }
  return wantedByShard;
}

function layoutTensors(
  tensors: Map<string, TensorToWrite>,
  metadata: Record<string, string>,
): { header: Uint8Array; payloads: Uint8Array[] } {
  const json: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) json.__metadata__ = metadata;
  const payloads: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const { dtype, bytes } = encodeTensor(name, tensor);
    json[name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes.byteLength] };
    payloads.push(bytes);
    offset += bytes.byteLength;
  }
  const text = new TextEncoder().encode(JSON.stringify(json));
  // Pad the JSON with spaces so the data starts 8-byte aligned, as the reference writer does.
  const padded = Math.ceil(text.byteLength / 8) * 8;
  const header = new Uint8Array(HEADER_LENGTH_BYTES + padded).fill(0x20, HEADER_LENGTH_BYTES);
  new DataView(header.buffer).setBigUint64(0, BigInt(padded), true);
  header.set(text, HEADER_LENGTH_BYTES);
  return { header, payloads };
}

function encodeTensor(name: string, tensor: TensorToWrite): { dtype: StoredDtype; bytes: Uint8Array } {
  if (elementCount(tensor.shape) !== tensor.data.length) {
    throw new Error(
      `safetensors: tensor "${name}" has ${tensor.data.length} values but shape [${tensor.shape}]`,
    );
  }
  const { data } = tensor;
  if (data instanceof Int32Array) return { dtype: "I32", bytes: byteView(data) };
  if (data instanceof BigInt64Array) return { dtype: "I64", bytes: byteView(data) };
  const dtype = tensor.dtype ?? "F32";
  if (dtype === "F32") return { dtype, bytes: byteView(data) };
  if (dtype === "BF16") return { dtype, bytes: byteView(f32ToBf16(data)) };
  return { dtype, bytes: byteView(Float16Array.from(data)) };
}

function byteView(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

async function readExactly(
  file: Deno.FsFile,
  position: number,
  length: number,
  where: string,
): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  await readInto(file, position, bytes, where);
  return bytes;
}

async function readInto(
  file: Deno.FsFile,
  position: number,
  target: Uint8Array,
  where: string,
): Promise<void> {
  await file.seek(position, Deno.SeekMode.Start);
  let filled = 0;
  while (filled < target.byteLength) {
    const read = await file.read(target.subarray(filled));
    if (read === null) {
      throw new Error(`${where}: truncated file, got ${filled} of ${target.byteLength} bytes`);
    }
    filled += read;
  }
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
