/**
 * A decoder-only ONNX model with a KV cache, run through onnxruntime-node under the contract that Hugging Face
 * optimum exports and transformers.js loads: inputs `input_ids` [B,S], `attention_mask` [B,P+S],
 * `position_ids` [B,S] (all int64) and `past_key_values.N.key|value` [B,kvHeads,P,headDim]; outputs `logits`
 * [B,S,V] and `present.N.key|value` [B,kvHeads,P+S,headDim].
 *
 * The present tensors of one step are passed unchanged as the next step's past (no copy). With the webgpu
 * provider they stay on the device as 'gpu-buffer' tensors; only the logits come back to the host.
 *
 * @module
 */
import * as ort from "onnxruntime-node";
import { join } from "node:path";
import { z } from "zod";
import type { Provider } from "../model/runtime.ts";
import { openSession, type SessionSettings } from "./provider.ts";

/** The sizes a generator needs, read from config.json and checked against the graph's inputs. */
export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
}

/** The keys and values of every layer for a batch of rows, each [rows, kvHeads, length, headDim]. */
export interface KvCache {
  /** Per layer: key then value (index 2*layer and 2*layer+1). */
  tensors: ort.Tensor[];
  rows: number;
  length: number;
}

/** A row of a cache, as a source for {@link DecoderSession.gatherRows}. */
export interface RowSource {
  cache: KvCache;
  row: number;
}

/** One forward call: `rows` sequences of `tokens` new tokens on top of `past`. */
export interface ForwardInput {
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positionIds: BigInt64Array;
  rows: number;
  tokens: number;
  past: KvCache;
}

/** What a forward call returns. */
export interface ForwardOutput {
  /** Logits of the last position of each row, [rows, vocab]. */
  lastLogits: Float32Array;
  /** The cache extended by the new tokens (pass it as the next step's past). */
  present: KvCache;
}

/** Fields of config.json that give the cache's sizes (any decoder family that names them the HF way). */
const CacheConfig = z.looseObject({
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  num_key_value_heads: z.number().int().positive().optional(),
  hidden_size: z.number().int().positive(),
  head_dim: z.number().int().positive().optional(),
  vocab_size: z.number().int().positive(),
  eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
});

/** Where a model directory may keep its graph, in order of preference. */
const GRAPH_CANDIDATES = [
  "onnx/model.onnx",
  "model.onnx",
  "onnx/decoder_model_merged.onnx",
  "decoder_model_merged.onnx",
];

/** Finds the ONNX graph of a model directory (or accepts a path to an .onnx file). */
export function findDecoderGraph(modelPath: string): { graph: string; dir: string } {
  if (modelPath.endsWith(".onnx")) {
    const dir = modelPath.replace(/\/[^/]*$/, "");
    return { graph: modelPath, dir: dir.endsWith("/onnx") ? dir.slice(0, -5) : dir };
  }
  for (const candidate of GRAPH_CANDIDATES) {
    const graph = join(modelPath, candidate);
    try {
      if (Deno.statSync(graph).isFile) return { graph, dir: modelPath };
    } catch {
      // try the next place
    }
  }
  throw new Error(
    `${modelPath}: no ONNX graph found (looked for ${GRAPH_CANDIDATES.join(", ")}); ` +
      `export one with \`deno task pipeline model export-onnx ${modelPath}\``,
  );
}

/** Reads the cache sizes and EOS ids from a model directory's config.json (and generation_config.json). */
export function readDecoderConfig(dir: string): { shape: DecoderShape; eosTokenIds: number[] } {
  const path = join(dir, "config.json");
  let raw: unknown;
  try {
    raw = JSON.parse(Deno.readTextFileSync(path));
  } catch (error) {
    throw new Error(`${path}: cannot read the model config: ${(error as Error).message}`);
  }
  const parsed = CacheConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: field ${issue.path.join(".")}: ${issue.message}`);
  }
  const config = parsed.data;
  const headDim = config.head_dim ?? config.hidden_size / config.num_attention_heads;
  const shape = {
    layers: config.num_hidden_layers,
    kvHeads: config.num_key_value_heads ?? config.num_attention_heads,
    headDim,
    vocab: config.vocab_size,
  };
  return { shape, eosTokenIds: [...eosIds(config.eos_token_id), ...generationEosIds(dir)] };
}

function eosIds(value: number | number[] | null | undefined): number[] {
  return value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function generationEosIds(dir: string): number[] {
  try {
    const raw = JSON.parse(Deno.readTextFileSync(join(dir, "generation_config.json")));
    return eosIds(raw?.eos_token_id);
  } catch {
    return [];
  }
}

/** A loaded decoder graph with its KV-cache plumbing. */
export class DecoderSession {
  readonly session: ort.InferenceSession;
  readonly shape: DecoderShape;
  readonly provider: Provider;
  /** EOS token ids declared by config.json / generation_config.json. */
  readonly eosTokenIds: readonly number[];
  /** Path of the ONNX graph. */
  readonly graphPath: string;
  readonly #hasPositionIds: boolean;
  readonly #hasCacheBranch: boolean;
  readonly #onDevice: boolean;
  /** True when the graph emits logits of the last position only ([B,1,V]). */
  readonly lastLogitsOnly: boolean;
  /** Inputs beyond the KV-cache contract fed on every run (LoRA adapters). */
  #constantFeeds: Record<string, ort.Tensor> = {};

  private constructor(
    opened: { session: ort.InferenceSession; provider: Provider },
    shape: DecoderShape,
    eosTokenIds: number[],
    graphPath: string,
  ) {
    this.session = opened.session;
    this.provider = opened.provider;
    this.shape = shape;
    this.eosTokenIds = eosTokenIds;
    this.graphPath = graphPath;
    this.#hasPositionIds = this.session.inputNames.includes("position_ids");
    this.#hasCacheBranch = this.session.inputNames.includes("use_cache_branch");
    this.#onDevice = opened.provider === "webgpu";
    this.#checkContract();
    const logitsMeta = this.session.outputMetadata.find((meta) => meta.name === "logits");
    this.lastLogitsOnly = logitsMeta?.isTensor === true && logitsMeta.shape[1] === 1;
  }

  /** Opens a model directory (or .onnx file) on the provider the settings name. */
  static async open(modelPath: string, settings: SessionSettings = {}): Promise<DecoderSession> {
    const { graph, dir } = findDecoderGraph(modelPath);
    const { shape, eosTokenIds } = readDecoderConfig(dir);
    const deviceOutputs = presentNames(shape.layers);
    const opened = await openSession(graph, { ...settings, deviceOutputs });
    return new DecoderSession(opened, shape, eosTokenIds, graph);
  }

  /** Fails early, with the missing names, when the graph does not follow the KV-cache contract. */
  #checkContract(): void {
    const inputs = new Set(this.session.inputNames);
    const outputs = new Set(this.session.outputNames);
    const needIn = ["input_ids", "attention_mask", ...pastNames(this.shape.layers)].filter((n) =>
      !inputs.has(n)
    );
    const needOut = ["logits", ...presentNames(this.shape.layers)].filter((n) => !outputs.has(n));
    if (needIn.length + needOut.length > 0) {
      throw new Error(
        `${this.graphPath}: not a decoder graph with a KV cache for ${this.shape.layers} layers (config.json): ` +
          `missing ${
            [...needIn.map((n) => `input ${n}`), ...needOut.map((n) => `output ${n}`)].join(", ")
          }; ` +
          `export it with past inputs (optimum: --task text-generation-with-past)`,
      );
    }
    for (const meta of this.session.inputMetadata) {
      if (meta.name.startsWith("past_key_values.") && meta.isTensor && meta.type !== "float32") {
        throw new Error(
          `${this.graphPath}: ${meta.name} is ${meta.type}; only float32 KV caches are supported`,
        );
      }
    }
  }

  /**
   * Inputs beyond the KV-cache contract to feed on every run, such as LoRA adapters over baked-in weights.
   * On the CPU a tensor wraps its array, so values changed in place are seen by the next run.
   *
   * @example
   * ```ts ignore
   * session.setConstantFeeds({ "model.layers.0.self_attn.q_proj.lora_A.weight": tensor });
   * ```
   */
  setConstantFeeds(feeds: Record<string, ort.Tensor>): void {
    const unknown = Object.keys(feeds).filter((name) => !this.session.inputNames.includes(name));
    if (unknown.length > 0) {
      throw new Error(
        `${this.graphPath}: the graph has no input ${unknown.join(", ")}; rebuild it with them`,
      );
    }
    this.#constantFeeds = { ...feeds };
  }

  /** A cache of length 0 for `rows` sequences (the prefill's past). */
  emptyCache(rows: number): KvCache {
    const { layers, kvHeads, headDim } = this.shape;
    const tensors: ort.Tensor[] = [];
    for (let i = 0; i < 2 * layers; i++) {
      tensors.push(new ort.Tensor("float32", new Float32Array(0), [rows, kvHeads, 0, headDim]));
    }
    return { tensors, rows, length: 0 };
  }

  /** Runs the graph on new tokens; the past's device tensors are released once the present replaces them. */
  async forward(input: ForwardInput): Promise<ForwardOutput> {
    const { rows, tokens, past } = input;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor("int64", input.inputIds, [rows, tokens]),
      attention_mask: new ort.Tensor("int64", input.attentionMask, [rows, past.length + tokens]),
    };
    if (this.#hasPositionIds) feeds.position_ids = new ort.Tensor("int64", input.positionIds, [rows, tokens]);
    if (this.#hasCacheBranch) feeds.use_cache_branch = new ort.Tensor("bool", [past.length > 0], [1]);
    const names = pastNames(this.shape.layers);
    names.forEach((name, i) => (feeds[name] = past.tensors[i]));
    Object.assign(feeds, this.#constantFeeds);
    const outputs = await this.session.run(feeds);
    releaseDeviceTensors(past.tensors);
    const present = presentNames(this.shape.layers).map((name) => outputs[name]);
    const logits = outputs.logits;
    const positions = Number(logits.dims[1]);
    return {
      lastLogits: lastPositionRows(logits.data as Float32Array, rows, positions, this.shape.vocab),
      present: { tensors: present, rows, length: past.length + tokens },
    };
  }

  /**
   * A new cache of `length` positions assembled from rows of other caches (rows may repeat, to replicate a
   * prompt for its samples, and may come from different caches, to merge waiting prompts into a running
   * batch). Each row keeps the last `min(length, source length)` positions of its source, right-aligned;
   * positions to the left are zero (they are masked as padding). Device tensors are read back once for this
   * (occasional) reshuffle and released.
   */
  async gatherRows(rows: readonly RowSource[], length: number): Promise<KvCache> {
    const { layers, kvHeads, headDim } = this.shape;
    const hostData = new Map<KvCache, Float32Array[]>();
    for (const { cache } of rows) {
      if (!hostData.has(cache)) hostData.set(cache, await Promise.all(cache.tensors.map(tensorData)));
    }
    const tensors: ort.Tensor[] = [];
    for (let t = 0; t < 2 * layers; t++) {
      const target = new Float32Array(rows.length * kvHeads * length * headDim);
      rows.forEach(({ cache, row }, out) => {
        const source = hostData.get(cache)![t];
        const kept = Math.min(length, cache.length);
        for (let head = 0; head < kvHeads; head++) {
          const from = ((row * kvHeads + head) * cache.length + cache.length - kept) * headDim;
          const to = ((out * kvHeads + head) * length + length - kept) * headDim;
          target.set(source.subarray(from, from + kept * headDim), to);
        }
      });
      tensors.push(new ort.Tensor("float32", target, [rows.length, kvHeads, length, headDim]));
    }
    for (const cache of hostData.keys()) releaseDeviceTensors(cache.tensors);
    return { tensors, rows: rows.length, length };
  }

  /** True when present tensors stay on the device between steps. */
  get keepsCacheOnDevice(): boolean {
    return this.#onDevice;
  }

  /** Releases the native session. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** The graph's past input names, key and value per layer. */
export function pastNames(layers: number): string[] {
  return Array.from(
    { length: 2 * layers },
    (_, i) => `past_key_values.${i >> 1}.${i % 2 === 0 ? "key" : "value"}`,
  );
}

/** The graph's present output names, key and value per layer. */
export function presentNames(layers: number): string[] {
  return Array.from({ length: 2 * layers }, (_, i) => `present.${i >> 1}.${i % 2 === 0 ? "key" : "value"}`);
}

/**
 * The logits of each row's last position: a view when the graph returned one position per row (a decode step,
 * or a graph with last-position logits), else a compact copy.
 */
function lastPositionRows(logits: Float32Array, rows: number, tokens: number, vocab: number): Float32Array {
  if (tokens === 1) return logits.subarray(0, rows * vocab);
  const out = new Float32Array(rows * vocab);
  for (let row = 0; row < rows; row++) {
    const start = (row * tokens + tokens - 1) * vocab;
    out.set(logits.subarray(start, start + vocab), row * vocab);
  }
  return out;
}

/** A tensor's float data on the host (downloading a device tensor). */
async function tensorData(tensor: ort.Tensor): Promise<Float32Array> {
  return (tensor.location === "cpu" ? tensor.data : await tensor.getData()) as Float32Array;
}

/** Frees device buffers (host tensors are left to the garbage collector). */
function releaseDeviceTensors(tensors: readonly ort.Tensor[]): void {
  for (const tensor of tensors) if (tensor.location === "gpu-buffer") tensor.dispose();
}
