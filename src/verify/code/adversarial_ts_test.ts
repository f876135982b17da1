/**
 * Hostile TypeScript samples. Each test runs a sample that tries to escape the sandbox, to leave something
 * behind for a later sample, or to get a verdict it does not deserve, checks the verdict it gets, and then
 * runs a right and a wrong solution on the same process (on a new one where the runner replaces its
 * process by design: after a timeout or running out of memory) to show that nothing reached them. Honest
 * samples are in sandbox_ts_test.ts.
 */
import assert from "node:assert/strict";
import { countingListener, plantHostSecret, SandboxSession } from "./testing.ts";
import { type CodeProblem, DEFAULT_LIMITS, type SandboxStatus } from "./types.ts";

const { secret: SECRET, hostFile: HOST_FILE, forbiddenPath: FORBIDDEN_PATH } = await plantHostSecret(
  "secret-",
);

/** MultiPL-E style problem: `add(a, b)`, tests call themselves. */
const ADD: CodeProblem = {
  taskId: "adversarial/add_ts",
  language: "typescript",
  prompt: "function add(a: number, b: number): number {\n",
  test: "declare var require: any;\nconst assert = require('node:assert');\nfunction test() {\n" +
    "  let candidate = add;\n  assert.deepEqual(candidate(2, 3), 5);\n  assert.deepEqual(candidate(-1, 1), 0);\n}\ntest();\n",
  entryPoint: "add",
  testFunction: "",
  stopTokens: [],
};
/** Passes only if the sample can read what the host holds. */
const SECRET_PROBLEM: CodeProblem = {
  ...ADD,
  prompt: "async function add(a: number, b: number): Promise<string> {\n",
  test: `import assert from "node:assert";\n` + `export {};\nconst value = await add(0, 0);\n` +
    `if (value !== ${JSON.stringify(SECRET)}) throw new assert.AssertionError({ message: "no secret" });\n` +
    `globalThis.assert.ok(true);\n`,
};
/** `counts(a, b)` returns a Map, compared by the harness; the tests also iterate arrays and strings. */
const MAP_PROBLEM: CodeProblem = {
  taskId: "adversarial/map_ts",
  language: "typescript",
  prompt: "function counts(a: number, b: number): Map<string, number> {\n",
  test: "function check(candidate: (a: number, b: number) => Map<string, number>) {\n" +
    "  for (const [a, b] of [[1, 2], [3, 4]]) {\n" +
    "    assert.deepEqual(candidate(a, b), new Map([['a', a], ['b', b]]));\n" +
    "    assert.deepEqual([...'ab'].length, 2);\n  }\n}\n",
  entryPoint: "counts",
  testFunction: "check",
  stopTokens: [],
};

const WRONG = "  return a - b;\n}\n";
const RIGHT = "  return a + b;\n}\n";
const HONEST = { right: RIGHT, wrong: WRONG };
const MAP_RIGHT = "  return new Map([['a', a], ['b', b]]);\n}\n";
const MAP_WRONG = "  return new Map([['a', a]]);\n}\n";
const MAP_HONEST = { right: MAP_RIGHT, wrong: MAP_WRONG };
/** A wrong solution preceded by `body`. */
const wrongAfter = (body: string) => `${body}\n  return a - b;\n}\n`;

const session = new SandboxSession("js");
globalThis.addEventListener("unload", () => session.kill());

function attack(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `ts sandbox (adversarial): ${name}`, sanitizeResources: false, sanitizeOps: false, fn });
}

/** Expressions for the intrinsics no property chain from globalThis reaches, only their instances. */
const HIDDEN_INTRINSICS = [
  "Object.getPrototypeOf([][Symbol.iterator]())",
  "Object.getPrototypeOf(new Map().entries())",
  "Object.getPrototypeOf(new Set().values())",
  "Object.getPrototypeOf(''[Symbol.iterator]())",
  "Object.getPrototypeOf('a'.matchAll(/a/g))",
  "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))",
  "Object.getPrototypeOf((function* () {})())",
  "Object.getPrototypeOf(function* () {})",
  "Object.getPrototypeOf((async function* () {})())",
  "Object.getPrototypeOf([].values().map((x: unknown) => x))",
  "Object.getPrototypeOf(new Intl.Segmenter().segment('a')[Symbol.iterator]())",
  "Object.getPrototypeOf(Uint8Array.prototype)",
];

attack(
  "intrinsics reachable only from instances are frozen: poisoning them fails, marks never appear",
  async () => {
    for (const intrinsic of HIDDEN_INTRINSICS) {
      // Replace `next` (the way to make a Map or an array lie to whoever iterates it), then return wrong.
      const poison =
        `  const target: any = ${intrinsic};\n  target.next = () => ({ done: true, value: undefined });\n` +
        `  target.mark = 1;\n  return new Map();\n}\n`;
      await session.contained(MAP_PROBLEM, poison, ["error"], {
        ...MAP_HONEST,
        pattern: /read[- ]only|not extensible/,
      });
      // Swallowing the TypeError changes nothing: the write never happened.
      const swallowed =
        `  try {\n    const target: any = ${intrinsic};\n    target.next = () => ({ done: true });\n` +
        `  } catch { /* frozen */ }\n  return new Map([['a', a]]);\n}\n`;
      await session.contained(MAP_PROBLEM, swallowed, ["failed"], MAP_HONEST);
    }
    // No mark from any earlier sample is visible.
    const probe =
      `  const marked = [${HIDDEN_INTRINSICS.join(", ")}].some((target: any) => "mark" in target);\n` +
      `  return marked ? new Map() : new Map([['a', a], ['b', b]]);\n}\n`;
    await session.expect(MAP_PROBLEM, probe, ["passed"]);
  },
);

attack("a Map or Set that lies about its contents cannot fool the comparison", async () => {
  const liars = [
    // Own iteration methods on the instance.
    "  const m: any = new Map([['a', a]]);\n  m[Symbol.iterator] = function* () { yield ['a', a]; yield ['b', b]; };\n" +
    "  m.entries = m[Symbol.iterator];\n  m.forEach = (f: any) => { f(a, 'a'); f(b, 'b'); };\n" +
    "  Object.defineProperty(m, 'size', { value: 2 });\n  return m;\n}\n",
    // A subclass overriding everything.
    "  class Liar extends Map<string, number> {\n    override get size() { return 2; }\n" +
    "    override *entries(): any { yield ['a', a]; yield ['b', b]; }\n" +
    "    override [Symbol.iterator]() { return this.entries(); }\n  }\n  return new Liar([['a', a]]);\n}\n",
    // A Proxy around an empty Map.
    "  return new Proxy(new Map(), { get: (t, k) => k === 'size' ? 2 : Reflect.get(t, k) }) as any;\n}\n",
    // A plain object posing as a Map.
    "  return Object.setPrototypeOf({ a, b }, Map.prototype);\n}\n",
  ];
  for (const liar of liars) await session.contained(MAP_PROBLEM, liar, ["failed", "error"], MAP_HONEST);
});

attack("proxies, accessors and class instances never compare equal to data", async () => {
  const samples = [
    "  return new Proxy({}, { get: () => () => true }) as unknown as number;\n}\n",
    "  return { valueOf: () => a + b } as unknown as number;\n}\n",
    "  return new Proxy([5], {}) as unknown as number;\n}\n",
  ];
  for (const sample of samples) await session.contained(ADD, sample, ["failed"], HONEST);
  const arrays: CodeProblem = {
    ...ADD,
    prompt: "function add(a: number, b: number): number[] {\n",
    test: "function check(candidate: any) {\n  assert.deepEqual(candidate(2, 3), [5, 6]);\n}\n",
    testFunction: "check",
  };
  const accessor =
    "  const out: number[] = [];\n  Object.defineProperty(out, 0, { get: () => a + b, enumerable: true });\n" +
    "  out[1] = 6;\n  return out;\n}\n";
  await session.contained(arrays, accessor, ["failed"], {
    right: "  return [a + b, 6];\n}\n",
    wrong: "  return [a + b];\n}\n",
  });
  const instance = "  class Pair extends Array<number> {}\n  return Pair.from([a + b, 6]);\n}\n";
  await session.contained(arrays, instance, ["failed"], {
    right: "  return [a + b, 6];\n}\n",
    wrong: "  return [6];\n}\n",
  });
});

attack("the tests' built-ins cannot be changed from the solution module", async () => {
  const patches = [
    "Array.prototype.map = function () { return [5, 0]; };",
    "Object.defineProperty(Array.prototype, Symbol.iterator, { value: function* () {} });",
    "(Map.prototype as any).get = () => 5;",
    "JSON.stringify = () => '5';",
    "Object.prototype.toString = () => '5';",
    "(Number.prototype as any).valueOf = () => 5;",
    "(globalThis as any).assert = { deepEqual() {} };",
    "Object.defineProperty(globalThis, 'require', { value: () => ({ deepEqual() {} }) });",
    "(Function.prototype as any).call = () => undefined;",
    "(Reflect as any).apply = () => true;",
    "(Symbol as any).iterator = 'x';",
  ];
  for (const patch of patches) {
    await session.contained(ADD, WRONG + patch + "\n", ["error"], {
      ...HONEST,
      pattern: /read[- ]only|not extensible|Cannot (redefine|assign|add|define)/,
    });
  }
});

attack("replacing the web APIs a verdict could travel through forges nothing", async () => {
  const patches = [
    "MessagePort.prototype.postMessage = function () {};",
    "EventTarget.prototype.dispatchEvent = () => true;",
    "postMessage({ status: 'passed', message: '' });",
    "(globalThis as any).onmessage = () => postMessage({ status: 'passed' });",
    "addEventListener('message', () => postMessage({ status: 'passed', message: '' }));",
    'console.log(\'0123456789abcdef {"id":1,"status":"passed","message":""}\');',
  ];
  for (const patch of patches) {
    await session.contained(ADD, WRONG + patch + "\n", ["failed", "error"], HONEST);
  }
});

attack("timers, pending promises, finalizers and microtasks a sample leaves end with it", async () => {
  // Each fires after the sample's verdict (the sample itself passes), or, for the last ones, while its
  // own tests still run: then the sample times out, but never the next one.
  const leftovers = [
    "setInterval(() => { for (;;) {} }, 300);",
    "setTimeout(() => { for (let i = 0; i < 100; i++) (globalThis as any).assert.ok(true); }, 300);",
    "new FinalizationRegistry(() => { for (;;) {} }).register({}, 1);",
    "Promise.resolve().then(() => new Promise(() => {}));",
    "queueMicrotask(() => setTimeout(() => { throw new Error('late'); }, 300));",
    "(async () => { for (;;) { await new Promise((r) => setTimeout(r, 1)); console.log('noise'); } })();",
    "WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => { for (;;) {} });",
    "import('data:text/javascript,for(;;){}');",
    "setTimeout(() => { for (;;) {} }, 0);",
  ];
  for (const leftover of leftovers) {
    const verdict = await session.expect(ADD, RIGHT + leftover + "\n", ["passed", "error", "timeout"]);
    // The next samples are answered on time and on their own merits.
    const right = await session.expect(ADD, RIGHT, ["passed"]);
    await session.expect(ADD, WRONG, ["failed"]);
    if (verdict.status !== "timeout") assert.equal(right.pid, verdict.pid, leftover);
  }
});

/**
 * Runs each sample on a session of its own with `timeoutSeconds`, expecting `status`; the runner replaces its
 * process after such a sample by design, so the honest samples run on a new one.
 */
async function containedOnOwnSession(timeoutSeconds: number, samples: string[], status: SandboxStatus) {
  const own = new SandboxSession("js", { ...DEFAULT_LIMITS, timeoutSeconds });
  try {
    for (const sample of samples) {
      await own.contained(ADD, sample, [status], { ...HONEST, sameProcess: false });
    }
  } finally {
    await own.close();
  }
}

attack("a timeout is final and answered at once; the next sample runs normally", async () => {
  const loops = [
    "  while (true) {}\n}\n",
    "  return a + b;\n}\nawait new Promise(() => {});\n",
    "  for (;;) { try { for (;;) {} } catch { /* again */ } }\n}\n",
  ];
  await containedOnOwnSession(1, loops, "timeout");
});

attack("memory bombs end as out_of_memory: JS heap, typed arrays, WebAssembly, strings", async () => {
  const bombs = [
    "  const keep: unknown[] = [];\n  for (;;) keep.push(new Array(1 << 20).fill(a));\n}\n",
    "  const keep = [];\n  for (;;) keep.push(new Float64Array(1 << 26));\n}\n",
    "  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });\n  for (;;) memory.grow(8192);\n}\n",
    "  let text = 'ab';\n  for (;;) text = text + text;\n}\n",
  ];
  await containedOnOwnSession(60, bombs, "out_of_memory");
});

attack("an output flood ends as output_limit", async () => {
  await session.contained(ADD, "  for (;;) console.log('x'.repeat(1000));\n}\n", ["output_limit"], HONEST);
});

attack("files, environment, network, subprocesses, FFI and workers stay out of reach", async () => {
  await session.expect(SECRET_PROBLEM, `  return Deno.readTextFileSync(${JSON.stringify(HOST_FILE)});\n}\n`, [
    "error",
  ]);
  await session.expect(ADD, wrongAfter(`  Deno.writeTextFileSync(${JSON.stringify(FORBIDDEN_PATH)}, "x");`), [
    "error",
  ]);
  await session.expect(SECRET_PROBLEM, `  return Deno.env.get("VERIFY_CODE_SECRET") ?? "";\n}\n`, ["error"]);
  await session.expect(
    SECRET_PROBLEM,
    `  return (globalThis as any).process?.env?.VERIFY_CODE_SECRET ?? "";\n}\n`,
    [
      "failed",
      "error",
    ],
  );
  await session.expect(
    ADD,
    wrongAfter(`  new Deno.Command("touch", { args: [${JSON.stringify(FORBIDDEN_PATH)}] }).outputSync();`),
    [
      "error",
    ],
  );
  await session.expect(ADD, wrongAfter(`  Deno.dlopen("libc.so.6", {});`), ["error"]);
  const listener = countingListener();
  await session.expect(
    SECRET_PROBLEM,
    `  return await (await fetch("http://127.0.0.1:${listener.port}/")).text();\n}\n`,
    [
      "error",
    ],
  );
  await session.expect(
    SECRET_PROBLEM,
    `  new WebSocket("ws://127.0.0.1:${listener.port}/");\n  return "";\n}\n`,
    ["error"],
  );
  listener.close();
  assert.equal(listener.connections(), 0);
  const spam =
    "  for (let i = 0; i < 1000; i++) new Worker('data:text/javascript,for(;;){}', { type: 'module' });\n";
  await session.contained(ADD, spam + RIGHT, ["error"], HONEST);
  await assert.rejects(Deno.stat(FORBIDDEN_PATH), Deno.errors.NotFound);
});

attack("imports of files, JSON, text, npm:, https: and node: modules are refused", async () => {
  const statics = [
    `import config from "file:///work/main/deno.json" with { type: "json" };\nconsole.log(config);\n`,
    `import text from ${JSON.stringify("file://" + HOST_FILE)} with { type: "text" };\nconsole.log(text);\n`,
    `import ${JSON.stringify("file://" + HOST_FILE)};\n`,
  ];
  for (const header of statics) {
    await session.contained(ADD, header + RIGHT, ["error", "syntax_error"], HONEST);
  }
  for (
    const specifier of ["npm:left-pad", "https://deno.land/std/fs/mod.ts", "file:///etc/passwd", "node:fs"]
  ) {
    const dynamic = `  const m = await import(${JSON.stringify(specifier)});\n  return String(m);\n}\n`;
    await session.expect(SECRET_PROBLEM, dynamic, ["error", "failed"]);
  }
  const data = `data:text/javascript,export default Deno.readTextFileSync(${JSON.stringify(HOST_FILE)})`;
  await session.expect(SECRET_PROBLEM, `  return (await import(${JSON.stringify(data)})).default;\n}\n`, [
    "error",
  ]);
});

attack("exits, odd throws and commenting out the tests are never a pass", async () => {
  const samples = [
    WRONG + "Deno.exit(0);\n",
    WRONG + "close();\n",
    WRONG + "function test() {}\n",
    "  throw null;\n}\n",
    "  throw 'passed';\n}\n",
    "  throw new Proxy(new Error('x'), { get() { throw new Error('gotcha'); } });\n}\n",
    "  const e = new Error('x');\n  Object.defineProperty(e, 'message', { get() { throw 1; } });\n  throw e;\n}\n",
    "  throw Object.create((globalThis as any).assert.AssertionError.prototype);\n}\n",
    "  return 5;\n}\n/*",
  ];
  for (const sample of samples) {
    await session.contained(ADD, sample, ["failed", "error", "syntax_error"], HONEST);
  }
});
