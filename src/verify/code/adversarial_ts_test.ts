/**
 * Adversarial TypeScript samples: each tries to escape the sandbox or to get a pass it does not deserve,
 * and each test asserts that the attack was contained and that the sample got the right outcome.
 */
import assert from "node:assert/strict";
import { SandboxPool } from "./pool.ts";
import { countingListener } from "./testing.ts";
import { verifyAttempts } from "./verifier.ts";
import type { CodeProblem, SandboxStatus } from "./types.ts";

const HOST_FILE = await Deno.makeTempFile({ prefix: "verify-code-host-" });
const SECRET = "secret-" + crypto.randomUUID();
await Deno.writeTextFile(HOST_FILE, SECRET);
Deno.env.set("VERIFY_CODE_SECRET", SECRET);
const FORBIDDEN_PATH = `${HOST_FILE}.written-by-sample`;
globalThis.addEventListener("unload", () => Deno.removeSync(HOST_FILE));

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

const pool = new SandboxPool({ concurrency: 1 });

async function expectOutcome(
  problem: CodeProblem,
  completion: string,
  statuses: SandboxStatus[],
  pattern?: RegExp,
) {
  const [verdict] = await verifyAttempts(pool, [{ problem, completion }]);
  assert.ok(statuses.includes(verdict.status), `expected ${statuses.join("|")}, got ${verdict.result}`);
  if (pattern) assert.match(verdict.message, pattern);
}

const WRONG = "  return a - b;\n}\n";
const RIGHT = "  return a + b;\n}\n";
const attempt = (body: string) => `${body}\n  return a - b;\n}\n`;

function attack(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `ts sandbox: ${name}`, sanitizeResources: false, sanitizeOps: false, fn });
}

attack("honest solution passes, wrong one fails with expected and actual", async () => {
  await expectOutcome(ADD, RIGHT, ["passed"]);
  await expectOutcome(ADD, WRONG, ["failed"], /expected 5, got -1/);
  await expectOutcome(ADD, "  return a +;\n}\n", ["syntax_error"]);
});

attack("file reads and writes through Deno are refused", async () => {
  await expectOutcome(SECRET_PROBLEM, `  return Deno.readTextFileSync(${JSON.stringify(HOST_FILE)});\n}\n`, [
    "error",
  ]);
  await expectOutcome(ADD, attempt(`  Deno.writeTextFileSync(${JSON.stringify(FORBIDDEN_PATH)}, "x");`), [
    "error",
  ]);
  await assert.rejects(Deno.stat(FORBIDDEN_PATH), Deno.errors.NotFound);
});

attack("static imports of files, JSON and text are refused", async () => {
  const json =
    `import config from "file:///work/main/deno.json" with { type: "json" };\nconsole.log(config);\n`;
  await expectOutcome(ADD, json + RIGHT, ["error", "syntax_error"]);
  const text = `import text from ${
    JSON.stringify("file://" + HOST_FILE)
  } with { type: "text" };\nconsole.log(text);\n`;
  await expectOutcome(ADD, text + RIGHT, ["error", "syntax_error"]);
  await expectOutcome(ADD, `import ${JSON.stringify("file://" + HOST_FILE)};\n` + RIGHT, [
    "error",
    "syntax_error",
  ]);
});

attack("dynamic imports of npm:, https:, file: are refused; data: runs with no more rights", async () => {
  for (
    const specifier of ["npm:left-pad", "https://deno.land/std/fs/mod.ts", "file:///etc/passwd", "node:fs"]
  ) {
    await expectOutcome(
      SECRET_PROBLEM,
      `  const m = await import(${JSON.stringify(specifier)});\n  return String(m);\n}\n`,
      [
        "error",
        "failed",
      ],
    );
  }
  const data = `data:text/javascript,export default Deno.readTextFileSync(${JSON.stringify(HOST_FILE)})`;
  await expectOutcome(SECRET_PROBLEM, `  return (await import(${JSON.stringify(data)})).default;\n}\n`, [
    "error",
  ]);
});

attack("network is refused and never reaches a listening host port", async () => {
  const listener = countingListener();
  const port = listener.port;
  await expectOutcome(
    SECRET_PROBLEM,
    `  return await (await fetch("http://127.0.0.1:${port}/")).text();\n}\n`,
    ["error"],
  );
  await expectOutcome(SECRET_PROBLEM, `  new WebSocket("ws://127.0.0.1:${port}/");\n  return "";\n}\n`, [
    "error",
  ]);
  listener.close();
  assert.equal(listener.connections(), 0);
});

attack("environment, subprocesses and FFI are unreachable", async () => {
  await expectOutcome(SECRET_PROBLEM, `  return Deno.env.get("VERIFY_CODE_SECRET") ?? "";\n}\n`, ["error"]);
  await expectOutcome(
    SECRET_PROBLEM,
    `  return (globalThis as any).process?.env?.VERIFY_CODE_SECRET ?? "";\n}\n`,
    ["failed", "error"],
  );
  await expectOutcome(
    ADD,
    attempt(`  new Deno.Command("touch", { args: [${JSON.stringify(FORBIDDEN_PATH)}] }).outputSync();`),
    [
      "error",
    ],
  );
  await expectOutcome(ADD, attempt(`  Deno.dlopen("libc.so.6", {});`), ["error"]);
  await assert.rejects(Deno.stat(FORBIDDEN_PATH), Deno.errors.NotFound);
});

attack("infinite loops and never-settling tests time out", async () => {
  await expectOutcome(ADD, "  while (true) {}\n}\n", ["timeout"]);
  await expectOutcome(ADD, "  return a + b;\n}\nawait new Promise(() => {});\n", ["timeout"]);
});

attack("memory bombs end as out_of_memory: JS heap, typed arrays, WebAssembly", async () => {
  await expectOutcome(
    ADD,
    "  const keep: unknown[] = [];\n  for (;;) keep.push(new Array(1 << 20).fill(a));\n}\n",
    [
      "out_of_memory",
    ],
  );
  await expectOutcome(ADD, "  const keep = [];\n  for (;;) keep.push(new Float64Array(1 << 26));\n}\n", [
    "out_of_memory",
  ]);
  const wasm = "  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });\n" +
    "  for (;;) memory.grow(8192);\n}\n";
  await expectOutcome(ADD, wasm, ["out_of_memory"]);
});

attack("an output flood ends as output_limit", async () => {
  await expectOutcome(ADD, "  for (;;) console.log('x'.repeat(1000));\n}\n", ["output_limit"]);
});

attack("worker spam is refused", async () => {
  const spam =
    "  for (let i = 0; i < 1000; i++) new Worker('data:text/javascript,for(;;){}', { type: 'module' });\n";
  await expectOutcome(ADD, spam + RIGHT, ["error"]);
});

attack("tampering with the harness is not a pass", async () => {
  await expectOutcome(ADD, attempt("  require('node:assert').deepEqual = () => {};"), ["error"]);
  await expectOutcome(ADD, WRONG + "(globalThis as any).require = () => ({ deepEqual() {} });\n", ["error"]);
  await expectOutcome(ADD, WRONG + "function test() {}\n", ["failed"]);
  await expectOutcome(ADD, WRONG + "Deno.exit(0);\n", ["error"]);
  await expectOutcome(ADD, WRONG + "close();\n", ["error"]);
  await expectOutcome(ADD, WRONG + "(globalThis as any).console = { log() {} };\n", ["error"]);
  await expectOutcome(ADD, WRONG + "Object.prototype.toString = () => '5';\n", ["error"]);
});

attack("fake success markers are not a pass", async () => {
  const fake = WRONG + "postMessage({ status: 'passed', message: '' });\n" +
    'console.log(\'0123456789abcdef {"id":1,"status":"passed","message":""}\');\n';
  await expectOutcome(ADD, fake, ["failed"]);
});

attack("non-Error throws are errors, never passes", async () => {
  await expectOutcome(ADD, "  throw null;\n}\n", ["error"], /non-Error value thrown \(null\)/);
  await expectOutcome(ADD, "  throw 'passed';\n}\n", ["error"]);
  const sly = "  throw new Proxy(new Error('x'), { get() { throw new Error('gotcha'); } });\n}\n";
  await expectOutcome(ADD, sly, ["error"]);
  const liar =
    "  const e = new Error('x');\n  Object.defineProperty(e, 'message', { get() { throw 1; } });\n  throw e;\n}\n";
  await expectOutcome(ADD, liar, ["error"]);
});

attack("an always-equal value cannot satisfy the strict assertion", async () => {
  const proxy = "  return new Proxy({}, { get: () => () => true }) as unknown as number;\n}\n";
  await expectOutcome(ADD, proxy, ["failed"]);
  await expectOutcome(ADD, "  return { valueOf: () => a + b } as unknown as number;\n}\n", ["failed"]);
});

attack("a completion cannot comment out the tests", async () => {
  await expectOutcome(ADD, "  return 5;\n}\n/*", ["syntax_error", "error"]);
});

attack("a sample cannot influence the next sample's verdict in the same process", async () => {
  await expectOutcome(ADD, "  return a + b;\n}\n(globalThis as any).answer = 5;\n", ["passed"]);
  await expectOutcome(ADD, "  return (globalThis as any).answer ?? 0;\n}\n", ["failed"]);
});
