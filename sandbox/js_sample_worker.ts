/**
 * The harness that runs inside the Web Worker created for one JavaScript/TypeScript sample.
 *
 * {@link sampleWorkerMain} is shipped to the worker as source text (`String(sampleWorkerMain)`), so it
 * must not refer to anything outside its own body. Before the sample loads it captures every global it
 * needs, removes `Deno`, `Worker` and `close` from the worker's global scope, freezes the shared
 * intrinsics (so the solution cannot re-define what the tests or the assertions call), installs a strict
 * `assert` (also returned by `require("assert")` for MultiPL-E tests) and a size-capped `console`. It then
 * imports the solution module, then the test module, and posts `{nonce, status, message}` with the
 * postMessage it captured: the nonce arrives in the first message, before any sample code exists.
 *
 * @module
 */

/** Message the runner sends to start the sample. */
export interface WorkerStart {
  /** Secret that marks the genuine verdict. */
  nonce: string;
  /** data: URL of the solution module. */
  solutionUrl: string;
  /** data: URL of the test module (it imports the solution). */
  testUrl: string;
  /** Bytes of console output allowed. */
  outputLimitBytes: number;
}

/** Entry point of the sample worker (runs as `(${sampleWorkerMain})()` inside the worker). */
export function sampleWorkerMain(): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const post = (globalThis as unknown as { postMessage(message: unknown): void }).postMessage.bind(globalThis);
  const { freeze, getPrototypeOf, keys, defineProperty, prototype: objectPrototype } = Object;
  const isArray = Array.isArray;
  const toText = String;
  const stringify = JSON.stringify;
  const errorPrototype = Error.prototype;
  let assertionsRun = 0;
  let outputBytes = 0;
  let verdictSent = false;
  let nonce = "";

  class AssertionError extends Error {
    override name = "AssertionError";
  }
  freeze(AssertionError.prototype);

  function send(status: string, message: string): void {
    if (verdictSent) return;
    verdictSent = true;
    post({ nonce, status, message: message.length > 500 ? message.slice(0, 485) + " ...[truncated]" : message });
  }

  function show(value: unknown): string {
    try {
      const text = typeof value === "string" ? stringify(value) : toText(stringify(value) ?? toText(value));
      return text.length > 200 ? text.slice(0, 200) + "..." : text;
    } catch {
      return "<unprintable>";
    }
  }

  function sameData(actual: unknown, expected: unknown, depth: number): boolean {
    if (actual === expected) return true;
    if (typeof actual === "number" && typeof expected === "number") return actual !== actual && expected !== expected;
    if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) {
      return false;
    }
    if (depth > 64 || getPrototypeOf(actual) !== getPrototypeOf(expected)) return false;
    if (isArray(actual) !== isArray(expected)) return false;
    if (actual instanceof Map || actual instanceof Set) {
      const left = [...(actual as Map<unknown, unknown>)];
      const right = [...(expected as Map<unknown, unknown>)];
      return sameData(left, right, depth + 1);
    }
    const actualKeys = keys(actual);
    const expectedKeys = keys(expected);
    if (actualKeys.length !== expectedKeys.length) return false;
    const actualRecord = actual as Record<string, unknown>;
    const expectedRecord = expected as Record<string, unknown>;
    for (const key of expectedKeys) {
      if (!(key in actualRecord) || !sameData(actualRecord[key], expectedRecord[key], depth + 1)) return false;
    }
    return true;
  }

  function check(ok: boolean, message: unknown, fallback: () => string): void {
    assertionsRun++;
    if (!ok) throw new AssertionError(message === undefined ? fallback() : toText(message));
  }

  const equal = (actual: unknown, expected: unknown, message?: unknown) =>
    check(sameData(actual, expected, 0), message, () => `expected ${show(expected)}, got ${show(actual)}`);
  const notEqual = (actual: unknown, expected: unknown, message?: unknown) =>
    check(!sameData(actual, expected, 0), message, () => `expected a value other than ${show(expected)}`);
  const ok = (value: unknown, message?: unknown) =>
    check(value === true || (value !== false && !!value), message, () => `expected a truthy value, got ${show(value)}`);
  const assert = Object.assign((value: unknown, message?: unknown) => ok(value, message), {
    ok,
    equal,
    strictEqual: equal,
    deepEqual: equal,
    deepStrictEqual: equal,
    notEqual,
    notStrictEqual: notEqual,
    notDeepEqual: notEqual,
    notDeepStrictEqual: notEqual,
    AssertionError,
  });
  freeze(assert);
  const require = (name: unknown) => {
    if (name === "assert" || name === "node:assert" || name === "assert/strict" || name === "node:assert/strict") {
      return assert;
    }
    throw new Error(`sandbox: require(${show(name)}) is not available`);
  };

  function capture(...args: unknown[]): void {
    for (const arg of args) outputBytes += (typeof arg === "string" ? arg : show(arg)).length + 1;
    if (outputBytes > outputLimit) {
      send("output_limit", `the sample printed more than ${outputLimit} bytes`);
      throw new Error("sandbox: output limit exceeded");
    }
  }
  let outputLimit = 0;
  const quietConsole = freeze({
    log: capture, info: capture, warn: capture, error: capture, debug: capture, trace: capture, dir: capture,
    table: capture, assert: (_: unknown, ...rest: unknown[]) => capture(...rest),
  });

  function lockDown(): void {
    for (const name of ["Deno", "Worker", "close", "fetch", "WebSocket", "navigator", "caches", "localStorage"]) {
      try {
        delete scope[name];
      } catch { /* a non-configurable global stays: it is harmless without permissions */ }
    }
    for (const [name, value] of [["require", require], ["assert", assert], ["console", quietConsole]] as const) {
      defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
    }
    const intrinsics: unknown[] = [
      objectPrototype, Array.prototype, Function.prototype, String.prototype, Number.prototype,
      Boolean.prototype, Symbol.prototype, BigInt.prototype, Map.prototype, Set.prototype, RegExp.prototype,
      Promise.prototype, errorPrototype, Math, JSON, Reflect, Object, Array, String, Number, Map, Set, Symbol,
    ];
    for (const intrinsic of intrinsics) freeze(intrinsic);
  }

  function describe(thrown: unknown): string {
    if (thrown instanceof Error) {
      try {
        return `${toText(thrown.name)}: ${toText(thrown.message)}`;
      } catch {
        return "an Error whose name or message could not be read";
      }
    }
    return `non-Error value thrown (${thrown === null ? "null" : typeof thrown})`;
  }

  function statusOf(thrown: unknown, phase: "solution" | "test"): string {
    if (thrown instanceof AssertionError) return "failed";
    if (thrown instanceof RangeError && /allocation failed|out of memory|Unable to grow/i.test(thrown.message)) {
      return "out_of_memory";
    }
    if (thrown instanceof SyntaxError && /could not be parsed|Unexpected|Expected/.test(thrown.message)) {
      return phase === "solution" || /could not be parsed/.test(thrown.message) ? "syntax_error" : "error";
    }
    return "error";
  }

  async function start(message: WorkerStart): Promise<void> {
    nonce = message.nonce;
    outputLimit = message.outputLimitBytes;
    lockDown();
    let phase: "solution" | "test" = "solution";
    try {
      await import(message.solutionUrl);
      phase = "test";
      await import(message.testUrl);
    } catch (thrown) {
      try {
        send(statusOf(thrown, phase), describe(thrown));
      } catch {
        send("error", "a value was thrown that could not be inspected");
      }
      return;
    }
    if (assertionsRun === 0) send("failed", "no assertion ran: the tests did not execute");
    else send("passed", "");
  }

  scope.onmessage = (event: MessageEvent<WorkerStart>) => {
    scope.onmessage = null;
    start(event.data);
  };
}
