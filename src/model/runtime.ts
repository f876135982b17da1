/**
 * onnxruntime-node sessions for the graphs this project emits: provider selection with a clear error when an
 * execution provider cannot load, threads set to the machine's cores, and full graph optimizations.
 *
 * @module
 */
import * as ort from "onnxruntime-node";

/**
 * The execution providers this project supports, the one list every setting and flag is checked against.
 *
 * @example
 * ```ts
 * import { PROVIDERS } from "./runtime.ts";
 * PROVIDERS.includes("webgpu"); // true
 * ```
 */
export const PROVIDERS = ["cpu", "cuda", "webgpu"] as const;
/** Execution providers a session can run on. */
export type Provider = typeof PROVIDERS[number];

/** Options for {@link createSession}. */
export interface SessionOptions {
  /** Execution provider (default "cpu"). */
  provider?: Provider;
  /** Intra-op threads (default: all cores). */
  threads?: number;
  /** Graph optimization level (default "all"). */
  optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Whether idle intra-op threads spin-wait for work (default true, onnxruntime's default). Spinning is fastest
   * on an idle machine; on one shared with other busy processes, `false` gives their cores back.
   */
  spinning?: boolean;
}

/** A loaded model: a thin wrapper around an onnxruntime-node InferenceSession. */
export type Session = ort.InferenceSession;
/** An onnxruntime tensor. */
export type OrtTensor = ort.Tensor;
/** The onnxruntime Tensor constructor, re-exported so callers need not import onnxruntime-node. */
export const OrtTensor = ort.Tensor;

/** Number of logical cores of this machine. */
export function coreCount(): number {
  return navigator.hardwareConcurrency ?? 1;
}

/**
 * Creates a session from `.onnx` bytes or a file path (a path is needed when weights live in external data).
 * Throws an error naming the provider and how to fix it when the provider cannot be loaded.
 */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions = {},
): Promise<Session> {
  const provider = options.provider ?? "cpu";
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    intraOpNumThreads: options.threads ?? coreCount(),
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimization ?? "all",
    executionMode: "sequential",
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
  if (options.spinning === false) {
    sessionOptions.extra = {
      session: { intra_op: { allow_spinning: "0" }, inter_op: { allow_spinning: "0" } },
    };
  }
  try {
    return typeof model === "string"
      ? await ort.InferenceSession.create(model, sessionOptions)
      : await ort.InferenceSession.create(model, sessionOptions);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (provider !== "cpu" && /provider|backend|EP|cuda|webgpu/i.test(message)) {
      throw new Error(
        `runtime: onnxruntime-node could not start the ${provider} execution provider (${message.trim()}); ` +
          `check that this onnxruntime-node build ships ${provider} support and that the GPU and its drivers ` +
          `are present, or use provider "cpu"`,
      );
    }
    throw new Error(`runtime: onnxruntime could not load the model: ${message}`);
  }
}

/** Builds an int64 tensor from numbers. */
export function int64Tensor(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from(Array.from(values), (v) => BigInt(v)), dims);
}

/** Builds a float32 tensor. */
export function float32Tensor(values: Float32Array, dims: number[]): ort.Tensor {
  return new ort.Tensor("float32", values, dims);
}
