/**
 * The harness that runs inside a Web Worker created for JavaScript/TypeScript samples.
 *
 * {@link sampleWorkerMain} is shipped to the worker as source text (`String(sampleWorkerMain)`), so it
 * must not refer to anything outside its own body. The first message ({@link WorkerStart}) carries a
 * private `MessagePort`; every sample ({@link WorkerSample}) arrives on that port and every verdict
 * (`{nonce, status, message}`) leaves on it. The port is kept in a closure and never reachable from the
 * global scope, so nothing a sample does can read a request or forge a verdict.
 *
 * Before the first sample it captures every global it needs, removes `Deno`, `Worker` and `close` from
 * the worker's global scope, freezes the shared intrinsics (so the solution cannot re-define what the
 * tests or the assertions call), installs a strict `assert` (also returned by `require("assert")` for
 * MultiPL-E tests) and a size-capped `console`. For each sample it imports the solution module, then the
 * test module, and sends the verdict.
 *
 * A `reusable` worker serves many samples. It additionally deep-freezes everything reachable from the
 * global object, the global object included, so no sample can leave state behind that a later sample
 * reads. Code a sample leaves running (a timer, a pending promise) can still run while a later sample
 * runs, but with nothing shared left to write, all it can do is use time, memory or output, or throw
 * from its own callbacks (a worker error event, never an exception inside the later sample's own
 * imports): each of those turns into a verdict the runner does not trust, and it re-runs the sample in a
 * fresh single-use worker (see js_runner.ts).
 *
 * @module
 */

/** First message to a worker. */
export interface WorkerStart {
  /** Secret that marks the genuine verdict. */
  nonce: string;
  /** Bytes of console output allowed per sample. */
  outputLimitBytes: number;
  /** True for a worker that serves many samples (deep-frozen realm); false for a single sample. */
  reusable: boolean;
  /** The private channel for samples and verdicts. */
  port: MessagePort;
}

/** One sample, sent on the private port. */
export interface WorkerSample {
  /** data: URL of the solution module. */
  solutionUrl: string;
  /** data: URL of the test module (it imports the solution). */
  testUrl: string;
}

/** A verdict, sent on the private port. */
export interface WorkerVerdict {
  /** The secret from {@link WorkerStart}. */
  nonce: string;
  /** A {@link SandboxStatus} value. */
  status: string;
  /** Why, truncated. */
  message: string;
  /** True when the sample threw because it wrote to a frozen or non-extensible object. */
  frozenWrite: boolean;
}

/** Entry point of the sample worker (runs as `(${sampleWorkerMain})()` inside the worker). */
export function sampleWorkerMain(): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const {
    freeze,
    getPrototypeOf,
    keys,
    defineProperty,
    getOwnPropertyDescriptor,
    prototype: objectPrototype,
  } = Object;
  const ownKeys = Reflect.ownKeys;
  const isArray = Array.isArray;
  const toText = String;
  const stringify = JSON.stringify;
  const errorPrototype = Error.prototype;
  /** What the harness tracks about the sample now running; replaced for every sample. */
  let current = { assertionsRun: 0, outputBytes: 0, verdictSent: false };
  let nonce = "";
  let port: MessagePort | undefined;

  class AssertionError extends Error {
    override name = "AssertionError";
  }
  freeze(AssertionError.prototype);

  function send(status: string, message: string, frozenWrite = false): void {
    if (current.verdictSent) return;
    current.verdictSent = true;
    port?.postMessage({
      nonce,
      status,
      message: message.length > 500 ? message.slice(0, 485) + " ...[truncated]" : message,
      frozenWrite,
    });
  }

  /** True for the TypeError V8 throws on a write to a frozen object or a non-extensible one. */
  function isFrozenWrite(thrown: unknown): boolean {
    return thrown instanceof TypeError &&
      /read[- ]only|not extensible|Cannot (redefine|delete|define|assign|add)/.test(toText(thrown.message));
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
    if (typeof actual === "number" && typeof expected === "number") {
      return actual !== actual && expected !== expected;
    }
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
      if (!(key in actualRecord) || !sameData(actualRecord[key], expectedRecord[key], depth + 1)) {
        return false;
      }
    }
    return true;
  }

  function check(ok: boolean, message: unknown, fallback: () => string): void {
    current.assertionsRun++;
    if (!ok) throw new AssertionError(message === undefined ? fallback() : toText(message));
  }

  const equal = (actual: unknown, expected: unknown, message?: unknown) =>
    check(sameData(actual, expected, 0), message, () => `expected ${show(expected)}, got ${show(actual)}`);
  const notEqual = (actual: unknown, expected: unknown, message?: unknown) =>
    check(!sameData(actual, expected, 0), message, () => `expected a value other than ${show(expected)}`);
  const ok = (value: unknown, message?: unknown) =>
    check(
      value === true || (value !== false && !!value),
      message,
      () => `expected a truthy value, got ${show(value)}`,
    );
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
    if (
      name === "assert" || name === "node:assert" || name === "assert/strict" || name === "node:assert/strict"
    ) {
      return assert;
    }
    throw new Error(`sandbox: require(${show(name)}) is not available`);
  };

  function capture(...args: unknown[]): void {
    for (const arg of args) current.outputBytes += (typeof arg === "string" ? arg : show(arg)).length + 1;
    if (current.outputBytes > outputLimit) {
      send("output_limit", `the sample printed more than ${outputLimit} bytes`);
      throw new Error("sandbox: output limit exceeded");
    }
  }
  let outputLimit = 0;
  const quietConsole = freeze({
    log: capture,
    info: capture,
    warn: capture,
    error: capture,
    debug: capture,
    trace: capture,
    dir: capture,
    table: capture,
    assert: (_: unknown, ...rest: unknown[]) => capture(...rest),
  });

  function lockDown(): void {
    for (
      const name of ["Deno", "Worker", "close", "fetch", "WebSocket", "navigator", "caches", "localStorage"]
    ) {
      try {
        delete scope[name];
      } catch { /* a non-configurable global stays: it is harmless without permissions */ }
    }
    for (
      const [name, value] of [["require", require], ["assert", assert], ["console", quietConsole]] as const
    ) {
      defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
    }
    const intrinsics: unknown[] = [
      objectPrototype,
      Array.prototype,
      Function.prototype,
      String.prototype,
      Number.prototype,
      Boolean.prototype,
      Symbol.prototype,
      BigInt.prototype,
      Map.prototype,
      Set.prototype,
      RegExp.prototype,
      Promise.prototype,
      errorPrototype,
      Math,
      JSON,
      Reflect,
      Object,
      Array,
      String,
      Number,
      Map,
      Set,
      Symbol,
    ];
    for (const intrinsic of intrinsics) freeze(intrinsic);
  }

  function describe(thrown: unknown): string {
    if (thrown instanceof Error) {
      try {
        const text = `${toText(thrown.name)}: ${toText(thrown.message)}`;
        return text.replace(/data:(?:application|text)\/[a-z]+,\S*/g, "<module>");
      } catch {
        return "an Error whose name or message could not be read";
      }
    }
    return `non-Error value thrown (${thrown === null ? "null" : typeof thrown})`;
  }

  function statusOf(thrown: unknown, phase: "solution" | "test"): string {
    if (thrown instanceof AssertionError) return "failed";
    if (
      thrown instanceof RangeError && /allocation failed|out of memory|Unable to grow/i.test(thrown.message)
    ) {
      return "out_of_memory";
    }
    const parseFailure = thrown instanceof SyntaxError ||
      (thrown instanceof TypeError &&
        /^(SyntaxError|The module's source code could not be parsed)/.test(thrown.message));
    return parseFailure && phase === "solution" ? "syntax_error" : "error";
  }

  /** Freezes every object reachable from `root` (own properties, accessors and prototypes). */
  function deepFreeze(root: unknown): void {
    const seen = new WeakSet<object>();
    const pending: unknown[] = [root];
    while (pending.length > 0) {
      const value = pending.pop();
      if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
      if (seen.has(value)) continue;
      seen.add(value);
      try {
        freeze(value);
      } catch { /* a typed array with elements cannot be frozen; none is shared */ }
      pending.push(getPrototypeOf(value));
      for (const key of ownKeys(value)) {
        const descriptor = getOwnPropertyDescriptor(value, key);
        if (descriptor) pending.push(descriptor.value, descriptor.get, descriptor.set);
      }
    }
  }

  async function runSample(sample: WorkerSample): Promise<void> {
    current = { assertionsRun: 0, outputBytes: 0, verdictSent: false };
    let phase: "solution" | "test" = "solution";
    try {
      await import(sample.solutionUrl);
      phase = "test";
      await import(sample.testUrl);
    } catch (thrown) {
      try {
        send(statusOf(thrown, phase), describe(thrown), isFrozenWrite(thrown));
      } catch {
        send("error", "a value was thrown that could not be inspected");
      }
      return;
    }
    if (current.assertionsRun === 0) send("failed", "no assertion ran: the tests did not execute");
    else send("passed", "");
  }

  function start(message: WorkerStart): void {
    nonce = message.nonce;
    outputLimit = message.outputLimitBytes;
    const channel = message.port;
    port = channel;
    lockDown();
    if (message.reusable) {
      // Deno's queueMicrotask replaces itself on first use, and Deno's own message ports use it: let it
      // settle before the global object is frozen. (Lazy getters stay getters; one that tries to redefine
      // itself later throws, which gives an `error` and so a re-run in a fresh worker.)
      queueMicrotask(() => {});
      deepFreeze(globalThis);
    }
    // Samples run one at a time: the runner sends the next only after this one's verdict.
    channel.onmessage = (event: MessageEvent<WorkerSample>) => {
      if (!message.reusable) channel.onmessage = null;
      runSample(event.data);
    };
  }

  scope.onmessage = (event: MessageEvent<WorkerStart>) => {
    scope.onmessage = null;
    start(event.data);
  };
}
