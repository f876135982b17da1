/**
 * The wire protocol between the host-side pool (src/verify/code) and the trusted runners in this folder.
 *
 * The host writes JSON lines to the runner's stdin: first a {@link SandboxHello} carrying a random nonce,
 * then one {@link SandboxRequest} per sample. The runner answers each request with one stdout line
 * `<nonce> <json SandboxResponse>`. Sample code never sees the nonce: it is read from stdin before any
 * sample runs and kept in a closure, so anything else printed on stdout cannot pass for a verdict.
 *
 * @module
 */

/** Every outcome a sample can have. */
export type SandboxStatus =
  | "passed"
  | "failed"
  | "error"
  | "syntax_error"
  | "timeout"
  | "out_of_memory"
  | "output_limit";

/** The first line the host sends: the secret that prefixes every genuine verdict line. */
export interface SandboxHello {
  /** Random hex string chosen by the host for this process. */
  nonce: string;
  /** Largest number of bytes of sample output (stdout and stderr together) before `output_limit`. */
  outputLimitBytes: number;
}

/** One sample to run. */
export interface SandboxRequest {
  /** Echoed in the response. */
  id: number;
  /** Code defining the solution: for Python the prompt plus completion, for JS/TS a module. */
  solution: string;
  /** Test code, run in a namespace of its own so the solution cannot replace its helpers. */
  test: string;
  /**
   * Python: code run before the test in the test namespace (the prompt, for its helper functions).
   * JS/TS: unused.
   */
  testPrelude: string;
  /** The solution's function under test. */
  entryPoint: string;
  /** Python: the test function called with the guarded candidate (`check`); empty when the test runs itself. */
  testFunction: string;
  /** JS/TS: `typescript` or `javascript`. The Python runner ignores it. */
  dialect: "typescript" | "javascript" | "python";
  /** Milliseconds the runner itself allows before reporting `timeout` (the host also enforces a hard limit). */
  timeoutMs: number;
}

/** The verdict for one request. */
export interface SandboxResponse {
  /** The request's id. */
  id: number;
  /** The outcome. */
  status: SandboxStatus;
  /** Why (the first failing assertion or the exception), truncated; empty when passed. */
  message: string;
  /** True when the runner replaces its engine after this sample; a {@link SandboxReady} follows. */
  recycled?: boolean;
}

/**
 * Sent once the runner finished loading, and again after a `recycled` response once its replacement
 * engine is up, so the host can tell start-up time from sample time.
 */
export interface SandboxReady {
  /** Always true. */
  ready: true;
}

/** Longest failure message a runner sends back. */
export const MAX_MESSAGE_CHARS = 500;
