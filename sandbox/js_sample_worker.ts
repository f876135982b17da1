/**
 * The harness that runs inside the Web Worker created for one JavaScript/TypeScript sample. Every worker
 * serves exactly one sample and is terminated after its verdict (js_runner.ts), so nothing a sample
 * starts (timers, pending promises, finalizers, workers it tried to spawn) outlives it, and no sample
 * ever shares a realm with another.
 *
 * {@link sampleWorkerMain} is shipped to the worker as source text (`String(sampleWorkerMain)`), so it
 * must not refer to anything outside its own body. The first message ({@link WorkerStart}) carries a
 * private `MessagePort`; the sample ({@link WorkerSample}) arrives on that port and the verdict leaves on
 * it. The port is kept in a closure and never reachable from the global scope.
 *
 * Before the sample's modules load, the harness captures every built-in it uses (so its comparisons and
 * its verdict call no method a sample can reach), removes `Deno`, `Worker`, `close`, `fetch`, ... from the
 * global scope, installs a strict `assert` (also returned by `require("assert")` for MultiPL-E tests) and
 * a size-capped `console`, makes every property of the global object read-only (the object itself stays
 * extensible, for a sample's own globals), and deep-freezes the ECMAScript built-ins: everything reachable
 * from them, plus the intrinsics reachable only from instances (the iterator prototypes of arrays,
 * strings, maps, sets, regular-expression matches, segments and iterator helpers, the generator and
 * async-generator prototypes and their functions). The solution module runs before the test module in the
 * same realm; with no built-in left writable it cannot change what the tests' own code computes. (Deno's
 * web APIs keep writable prototypes; tests do not use them.)
 *
 * `assert.*` compares with {@link sampleWorkerMain}'s `sameData`: strict, structural, through captured
 * functions only. Proxies, accessors and functions never compare equal to data, and Maps and Sets are
 * read through the captured `Map.prototype.entries` / `Set.prototype.values` and iterator `next`, so a
 * Map whose own `Symbol.iterator` (or a poisoned iterator) lies cannot fool it.
 *
 * @module
 */

/** First message to a worker. */
export interface WorkerStart {
  /** Secret that marks the genuine verdict. */
  nonce: string;
  /** Bytes of console output allowed per sample. */
  outputLimitBytes: number;
  /** The private channel for the sample and its verdict. */
  port: MessagePort;
}

/** The sample, sent on the private port. */
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
}

/** Entry point of the sample worker (runs as `(${sampleWorkerMain})()` inside the worker). */
export function sampleWorkerMain(): void {
  const scope = globalThis as unknown as Record<string, unknown>;
  const { freeze, getPrototypeOf, keys, defineProperty, getOwnPropertyDescriptor } = Object;
  const ownKeys = Reflect.ownKeys;
  const apply = Reflect.apply;
  const isArray = Array.isArray;
  const toText = String;
  const stringify = JSON.stringify;
  const ErrorClass = Error;
  const RangeErrorClass = RangeError;
  const SyntaxErrorClass = SyntaxError;
  const TypeErrorClass = TypeError;
  const MapClass = Map;
  const SetClass = Set;
  const DateClass = Date;
  const WeakSetClass = WeakSet;
  const mapEntries = Map.prototype.entries;
  const setValues = Set.prototype.values;
  const mapIteratorNext = getPrototypeOf(new Map().entries()).next as () => IteratorResult<unknown>;
  const setIteratorNext = getPrototypeOf(new Set().values()).next as () => IteratorResult<unknown>;
  const dateGetTime = Date.prototype.getTime;
  const regExpTest = RegExp.prototype.test;
  const stringReplace = String.prototype.replace;
  const stringSlice = String.prototype.slice;
  const weakSetHas = WeakSet.prototype.has;
  const weakSetAdd = WeakSet.prototype.add;
  const arrayPush = Array.prototype.push;
  const arrayPop = Array.prototype.pop;
  const denoNamespace = scope.Deno as { internal?: symbol } | undefined;
  const internals = denoNamespace?.internal === undefined
    ? undefined
    : (denoNamespace as Record<symbol, { core?: { isProxy?(value: unknown): boolean } } | undefined>)[
      denoNamespace.internal
    ];
  // Deno's own check; without it a proxy is compared like any object (its traps never see `expected`).
  const isProxy = internals?.core?.isProxy ?? (() => false);
  const matches = (pattern: RegExp, text: string) => apply(regExpTest, pattern, [text]) as boolean;

  /** What the harness tracks about the sample: assertions its tests ran, bytes printed, verdict sent. */
  const current = { assertionsRun: 0, outputBytes: 0, verdictSent: false };
  let outputLimit = 0;
  let sendVerdict: (verdict: WorkerVerdict) => void = () => {};
  let nonce = "";

  class AssertionError extends ErrorClass {
    override name = "AssertionError";
  }

  function send(status: string, message: string): void {
    if (current.verdictSent) return;
    current.verdictSent = true;
    const text = message.length > 500 ? apply(stringSlice, message, [0, 485]) + " ...[truncated]" : message;
    sendVerdict({ nonce, status, message: text });
  }

  function show(value: unknown): string {
    try {
      const text = typeof value === "string" ? stringify(value) : toText(stringify(value) ?? toText(value));
      return text.length > 200 ? apply(stringSlice, text, [0, 200]) + "..." : text;
    } catch {
      return "<unprintable>";
    }
  }

  /** The entries of a Map or values of a Set, read through the captured built-ins only. */
  function contents(value: Map<unknown, unknown> | Set<unknown>, map: boolean): unknown[] {
    const iterator = apply(map ? mapEntries : setValues, value, []);
    const next = map ? mapIteratorNext : setIteratorNext;
    const items: unknown[] = [];
    for (let step = apply(next, iterator, []); !step.done; step = apply(next, iterator, [])) {
      apply(arrayPush, items, [step.value]);
    }
    return items;
  }

  /** Own enumerable data properties; undefined when there is an accessor (not plain data). */
  function dataEntries(value: object): [string, unknown][] | undefined {
    const entries: [string, unknown][] = [];
    for (const key of keys(value)) {
      const descriptor = getOwnPropertyDescriptor(value, key);
      if (!descriptor || !("value" in descriptor)) return undefined;
      apply(arrayPush, entries, [[key, descriptor.value]]);
    }
    return entries;
  }

  function sameData(actual: unknown, expected: unknown, depth: number, seen: WeakSet<object>): boolean {
    if (actual === expected && (typeof actual !== "object" || actual === null)) return true;
    if (typeof actual === "number" && typeof expected === "number") {
      return actual !== actual && expected !== expected;
    }
    if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null) {
      return false;
    }
    if (depth > 64 || isProxy(actual) || isProxy(expected)) return false;
    if (actual === expected) return true;
    if (apply(weakSetHas, seen, [actual])) return false;
    apply(weakSetAdd, seen, [actual]);
    const prototype = getPrototypeOf(actual);
    if (prototype !== getPrototypeOf(expected) || isArray(actual) !== isArray(expected)) return false;
    if (prototype === MapClass.prototype || prototype === SetClass.prototype) {
      const isMap = prototype === MapClass.prototype;
      const left = contents(actual as Map<unknown, unknown>, isMap);
      const right = contents(expected as Map<unknown, unknown>, isMap);
      if (!sameList(left, right, depth, seen)) return false;
    }
    if (
      prototype === DateClass.prototype && apply(dateGetTime, actual, []) !== apply(dateGetTime, expected, [])
    ) {
      return false;
    }
    const left = dataEntries(actual);
    const right = dataEntries(expected);
    if (!left || !right || left.length !== right.length) return false;
    const wanted = new MapClass(right);
    for (const [key, value] of left) {
      if (!wanted.has(key) || !sameData(value, wanted.get(key), depth + 1, seen)) return false;
    }
    return true;
  }

  function sameList(left: unknown[], right: unknown[], depth: number, seen: WeakSet<object>): boolean {
    if (left.length !== right.length) return false;
    for (let index = 0; index < left.length; index++) {
      if (!sameData(left[index], right[index], depth + 1, seen)) return false;
    }
    return true;
  }

  const same = (actual: unknown, expected: unknown) => sameData(actual, expected, 0, new WeakSetClass());

  function check(ok: boolean, message: unknown, fallback: () => string): void {
    current.assertionsRun++;
    if (!ok) throw new AssertionError(message === undefined ? fallback() : toText(message));
  }

  const equal = (actual: unknown, expected: unknown, message?: unknown) =>
    check(same(actual, expected), message, () => `expected ${show(expected)}, got ${show(actual)}`);
  const notEqual = (actual: unknown, expected: unknown, message?: unknown) =>
    check(!same(actual, expected), message, () => `expected a value other than ${show(expected)}`);
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
  const require = (name: unknown) => {
    if (
      name === "assert" || name === "node:assert" || name === "assert/strict" || name === "node:assert/strict"
    ) {
      return assert;
    }
    throw new ErrorClass(`sandbox: require(${show(name)}) is not available`);
  };

  function capture(...args: unknown[]): void {
    for (const arg of args) current.outputBytes += (typeof arg === "string" ? arg : show(arg)).length + 1;
    if (current.outputBytes > outputLimit) {
      send("output_limit", `the sample printed more than ${outputLimit} bytes`);
      throw new ErrorClass("sandbox: output limit exceeded");
    }
  }
  const quietConsole = {
    log: capture,
    info: capture,
    warn: capture,
    error: capture,
    debug: capture,
    trace: capture,
    dir: capture,
    table: capture,
    assert: (_: unknown, ...rest: unknown[]) => capture(...rest),
  };

  /**
   * The ECMAScript built-ins the tests' own code and the harness use, frozen with everything reachable
   * from them (Object.prototype and Function.prototype included). Deno's web APIs only get their global
   * bindings locked: freezing them all would double a worker's start-up cost, and no test uses them.
   */
  const STANDARD_GLOBALS = [
    "Object",
    "Function",
    "Array",
    "Number",
    "parseFloat",
    "parseInt",
    "Boolean",
    "String",
    "Symbol",
    "Date",
    "Promise",
    "RegExp",
    "Error",
    "AggregateError",
    "EvalError",
    "RangeError",
    "ReferenceError",
    "SyntaxError",
    "TypeError",
    "URIError",
    "JSON",
    "Math",
    "Intl",
    "ArrayBuffer",
    "SharedArrayBuffer",
    "Atomics",
    "Uint8Array",
    "Int8Array",
    "Uint16Array",
    "Int16Array",
    "Uint32Array",
    "Int32Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "Uint8ClampedArray",
    "BigUint64Array",
    "BigInt64Array",
    "DataView",
    "Map",
    "BigInt",
    "Set",
    "WeakMap",
    "WeakSet",
    "Proxy",
    "Reflect",
    "FinalizationRegistry",
    "WeakRef",
    "decodeURI",
    "decodeURIComponent",
    "encodeURI",
    "encodeURIComponent",
    "escape",
    "unescape",
    "eval",
    "isFinite",
    "isNaN",
    "Iterator",
    "WebAssembly",
    "structuredClone",
    "queueMicrotask",
    "setTimeout",
    "setInterval",
    "clearTimeout",
    "clearInterval",
  ];

  /** Intrinsics that no chain of properties from the global object reaches: only their instances do. */
  function hiddenIntrinsics(): unknown[] {
    const found: unknown[] = [];
    const add = (make: () => unknown) => {
      try {
        apply(arrayPush, found, [make()]);
      } catch { /* not in this engine */ }
    };
    add(() => getPrototypeOf([][Symbol.iterator]()));
    add(() => getPrototypeOf(new Map().entries()));
    add(() => getPrototypeOf(new Set().values()));
    add(() => getPrototypeOf(""[Symbol.iterator]()));
    add(() => getPrototypeOf("a".matchAll(/a/g)));
    add(() => getPrototypeOf(new Intl.Segmenter().segment("a")));
    add(() => getPrototypeOf(new Intl.Segmenter().segment("a")[Symbol.iterator]()));
    add(() => getPrototypeOf([].values().map((value) => value)));
    add(() => getPrototypeOf((Iterator as unknown as { from(value: unknown): unknown }).from({ next() {} })));
    add(() => (function* () {}).constructor);
    add(() => getPrototypeOf((function* () {})()));
    add(() => (async function () {}).constructor);
    add(() => (async function* () {}).constructor);
    add(() => getPrototypeOf((async function* () {})()));
    add(() => getPrototypeOf(Uint8Array));
    add(() => getOwnPropertyDescriptor(Function.prototype, "caller")?.get);
    return found;
  }

  /**
   * Makes every property the global object has now read-only and permanent, but leaves the global object
   * extensible: a sample may add globals of its own, never replace one the tests or the harness use.
   */
  function lockGlobal(): void {
    for (const key of ownKeys(globalThis)) {
      const descriptor = getOwnPropertyDescriptor(globalThis, key);
      if (!descriptor?.configurable && !descriptor?.writable) continue;
      const locked = "value" in descriptor ? { value: descriptor.value, writable: false } : {};
      try {
        defineProperty(globalThis, key, { ...locked, configurable: false });
      } catch { /* a property the engine keeps configurable stays so */ }
    }
  }

  /** Freezes every object reachable from `roots` (own properties, accessors and prototypes). */
  function deepFreeze(roots: unknown[], spare: object): void {
    const seen = new WeakSetClass<object>([spare]);
    const pending: unknown[] = [...roots];
    while (pending.length > 0) {
      const value = apply(arrayPop, pending, []);
      if ((typeof value !== "object" && typeof value !== "function") || value === null) continue;
      if (apply(weakSetHas, seen, [value])) continue;
      apply(weakSetAdd, seen, [value]);
      try {
        freeze(value);
      } catch { /* a typed array with elements cannot be frozen; none is shared */ }
      apply(arrayPush, pending, [getPrototypeOf(value)]);
      for (const key of ownKeys(value)) {
        const descriptor = getOwnPropertyDescriptor(value, key);
        if (descriptor) apply(arrayPush, pending, [descriptor.value, descriptor.get, descriptor.set]);
      }
    }
  }

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
    // Deno's queueMicrotask replaces itself on first use, and Deno's own message ports use it: let it
    // settle before the global object is frozen.
    queueMicrotask(() => {});
    lockGlobal();
    const standard = STANDARD_GLOBALS.map((name) => scope[name]);
    deepFreeze([...standard, assert, quietConsole, AssertionError, ...hiddenIntrinsics()], globalThis);
  }

  function describe(thrown: unknown): string {
    if (thrown instanceof ErrorClass) {
      try {
        const text = `${toText(thrown.name)}: ${toText(thrown.message)}`;
        return apply(stringReplace, text, [/data:(?:application|text)\/[a-z]+,\S*/g, "<module>"]) as string;
      } catch {
        return "an Error whose name or message could not be read";
      }
    }
    return `non-Error value thrown (${thrown === null ? "null" : typeof thrown})`;
  }

  function statusOf(thrown: unknown, phase: "solution" | "test"): string {
    if (thrown instanceof AssertionError) return "failed";
    if (
      thrown instanceof RangeErrorClass &&
      matches(
        /allocation failed|out of memory|Unable to grow|Maximum memory size|Invalid string length/i,
        toText(thrown.message),
      )
    ) {
      return "out_of_memory";
    }
    const parseFailure = thrown instanceof SyntaxErrorClass ||
      (thrown instanceof TypeErrorClass &&
        matches(/^(SyntaxError|The module's source code could not be parsed)/, toText(thrown.message)));
    return parseFailure && phase === "solution" ? "syntax_error" : "error";
  }

  async function runSample(sample: WorkerSample): Promise<void> {
    let phase: "solution" | "test" = "solution";
    try {
      await import(sample.solutionUrl);
      phase = "test";
      current.assertionsRun = 0;
      await import(sample.testUrl);
    } catch (thrown) {
      try {
        send(statusOf(thrown, phase), describe(thrown));
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
    const port = message.port;
    const post = port.postMessage.bind(port);
    sendVerdict = (verdict) => post(verdict);
    port.onmessage = (event: MessageEvent<WorkerSample>) => {
      port.onmessage = null;
      runSample(event.data);
    };
    lockDown();
  }

  scope.onmessage = (event: MessageEvent<WorkerStart>) => {
    scope.onmessage = null;
    start(event.data);
  };
}
