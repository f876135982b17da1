/**
 * Types shared by the host side of code verification.
 *
 * @module
 */
import type { SandboxStatus } from "../../../sandbox/protocol.ts";

export type { SandboxStatus };

/** Languages the verifier runs. */
export type CodeLanguage = "python" | "typescript" | "javascript";

/** A problem in the one shape the verifier uses, whatever format it was read from. */
export interface CodeProblem {
  /** The task id samples refer to (HumanEval `task_id`, MultiPL-E `name`). */
  taskId: string;
  /** Which runner executes it. */
  language: CodeLanguage;
  /** Text placed before the completion (signature and docstring). */
  prompt: string;
  /** Test code. */
  test: string;
  /** The function under test. */
  entryPoint: string;
  /** The function the harness calls with the candidate (`check`), or empty when the test calls itself. */
  testFunction: string;
  /** MultiPL-E stop tokens (completion is cut at the first one); empty for other formats. */
  stopTokens: readonly string[];
  /** The reference solution (a completion of `prompt`), when the format carries one. */
  canonicalSolution?: string;
}

/** What verification says about one completion. */
export interface CodeVerdict {
  /** The outcome. */
  status: SandboxStatus;
  /** True exactly when status is `passed`. */
  passed: boolean;
  /** human-eval style text: `passed`, `failed: ...`, `timed out`, ... */
  result: string;
  /** The first failing assertion or the exception, truncated (empty when passed). */
  message: string;
}

/** Limits applied to every sandboxed run. */
export interface SandboxLimits {
  /** Wall-clock seconds per sample. */
  timeoutSeconds: number;
  /**
   * Data limit for the whole sandbox process (bytes), typed arrays and WebAssembly memory included, on top
   * of V8's per-thread code reservations (see `CODE_RANGE_HEADROOM_BYTES`). Python samples are held to a
   * tighter budget by the runner itself (512 MiB for the solution's interpreter).
   */
  memoryBytes: number;
  /** Bytes of sample output allowed per sample. */
  outputBytes: number;
}

/** Default limits: 3 s per sample as in human-eval. */
export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutSeconds: 3,
  memoryBytes: 2.5 * 1024 ** 3,
  outputBytes: 64 * 1024,
};
