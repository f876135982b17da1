/**
 * Up-front estimate of a training or evaluation step's peak memory on the CPU provider (host = device), from
 * the model config and the step's settings alone: the weights (the step's own copy and each onnxruntime
 * session's), the trained parameters with their gradients and Adam moments, the training graph's activations
 * for one micro-batch, the logits at loss positions, and a generation batch (KV cache and logits, see
 * inference/memory.ts).
 *
 * The per-session weight factors are measured, not derived: onnxruntime 1.30 holds about 2x the weights for a
 * graph with baked-in weights (the loaded initializers plus the fused q/k/v and gate/up copies constant
 * folding makes, and a packed copy of the tied head), measured with RSS at 127M parameters on this project's
 * graphs. They will differ on other providers and versions.
 *
 * @module
 */
import { type LlamaConfig, modelDims, parameterCount } from "../model/config.ts";
import { type LoraOptions, loraShapes } from "../model/llama/decoder.ts";
import { estimateGenerationMemory } from "../inference/memory.ts";

/** The process before any model: Deno, V8 and onnxruntime's libraries (measured: 0.11-0.15 GiB). */
const RUNTIME_BYTES = 0.15 * 1024 ** 3;
/** Host bytes an onnxruntime CPU session holds per byte of baked-in weights (measured at 127M). */
const SESSION_WEIGHT_FACTOR = { generation: 2.0, training: 2.5, scoring: 1.15 } as const;

/** What a step runs, as far as memory goes. */
export interface StepMemoryShape {
  config: LlamaConfig;
  /** LoRA adapters over frozen weights; absent: every weight trains (or none, for evaluation). */
  lora?: LoraOptions;
  /** Whether the step trains (sft, score.*) or only generates (eval.selfcorrect). */
  trains: boolean;
  /** Whether the step scores a frozen reference (score.*). */
  reference: boolean;
  /** Whether the step generates (score.*, eval.selfcorrect). */
  generates: boolean;
  /** Rows per training-graph run. */
  microbatchRows: number;
  /** Longest training row (context + completion), tokens. */
  maxRowTokens: number;
  /** Loss positions per micro-batch (completion tokens). */
  lossTokens: number;
  /** Generation: sequences decoded together, prompts prefilled together, prompt and new tokens. */
  generation?: { sequences: number; prompts: number; maxPromptTokens: number; maxNewTokens: number };
}

/** One named contribution to the peak. */
export interface MemoryPart {
  name: string;
  bytes: number;
}

/** The estimate: the peak and its parts, largest first. */
export interface StepMemoryEstimate {
  peak: number;
  parts: MemoryPart[];
}

/**
 * Estimates the peak host memory of one step.
 *
 * @example
 * ```ts ignore
 * const { peak, parts } = estimateStepMemory({ config, trains: true, reference: true, generates: true, ... });
 * ```
 */
export function estimateStepMemory(shape: StepMemoryShape): StepMemoryEstimate {
  const d = modelDims(shape.config);
  const weights = parameterCount(shape.config) * 4;
  const frozen = shape.lora !== undefined || !shape.trains;
  const parts: MemoryPart[] = [
    { name: "runtime (Deno, V8, onnxruntime)", bytes: RUNTIME_BYTES },
    { name: "weights held by the step", bytes: weights },
  ];
  if (shape.generates) {
    parts.push({
      name: "generation session (weights baked in)",
      bytes: SESSION_WEIGHT_FACTOR.generation * weights,
    });
  }
  if (shape.trains && frozen) {
    parts.push({
      name: "training session (frozen weights)",
      bytes: SESSION_WEIGHT_FACTOR.training * weights,
    });
  }
  if (shape.reference && frozen) {
    parts.push({
      name: "reference scoring session (frozen weights)",
      bytes: SESSION_WEIGHT_FACTOR.scoring * weights,
    });
  }
  if (shape.trains) {
    const trained = shape.lora
      ? [...loraShapes(shape.config, shape.lora).values()].reduce((n, [a, b]) => n + a * b, 0) * 4
      : weights;
    parts.push({ name: "trained parameters' gradients and Adam moments", bytes: 3 * trained });
    const tokens = shape.microbatchRows * shape.maxRowTokens;
    // kept for the backward pass per layer: ~12 hidden-wide and 4 intermediate-wide vectors per token, and
    // the attention scores and probabilities (heads x keys per token)
    const perLayer = tokens * (12 * d.hidden + 4 * d.intermediate + 2 * d.heads * shape.maxRowTokens) * 4;
    parts.push({ name: "training activations (one micro-batch)", bytes: d.layers * perLayer });
    parts.push({
      name: "logits at loss positions (x3: logits, log-softmax, gradient)",
      bytes: 3 * shape.lossTokens * d.vocab * 4,
    });
  }
  if (shape.generates && shape.generation) {
    const g = shape.generation;
    const generation = estimateGenerationMemory({
      layers: d.layers,
      kvHeads: d.kvHeads,
      headDim: d.headDim,
      vocab: d.vocab,
      promptsPerBatch: g.prompts,
      sequencesPerBatch: g.sequences,
      maxPromptTokens: g.maxPromptTokens,
      maxNewTokens: g.maxNewTokens,
      lastLogitsOnly: true,
    });
    parts.push({ name: "generation batch (KV cache, logits)", bytes: generation.peak });
  }
  parts.sort((a, b) => b.bytes - a.bytes);
  return { peak: parts.reduce((sum, part) => sum + part.bytes, 0), parts };
}
