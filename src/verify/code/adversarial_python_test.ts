/**
 * Adversarial Python samples: each tries to escape the sandbox or to get a pass it does not deserve, and
 * each test asserts that the attack was contained and that the sample got the right outcome.
 */
import assert from "node:assert/strict";
import { buildRequest } from "./formats.ts";
import { SandboxPool } from "./pool.ts";
import { countingListener } from "./testing.ts";
import { SandboxProcess } from "./sandbox_process.ts";
import { verifyAttempts } from "./verifier.ts";
import { type CodeProblem, DEFAULT_LIMITS, type SandboxStatus, type Verdict } from "./types.ts";

const SECRET = "verify-code-secret-" + crypto.randomUUID();
Deno.env.set("VERIFY_CODE_SECRET", SECRET);
const HOST_FILE = await Deno.makeTempFile({ prefix: "verify-code-host-" });
await Deno.writeTextFile(HOST_FILE, SECRET);
const FORBIDDEN_PATH = `${HOST_FILE}.written-by-sample`;
globalThis.addEventListener("unload", () => Deno.removeSync(HOST_FILE));

/** `add(a, b)`: the honest answer is `a + b`. */
const ADD: CodeProblem = {
  taskId: "adversarial/add",
  language: "python",
  prompt: "def add(a, b):\n",
  test: "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
  entryPoint: "add",
  testFunction: "check",
  stopTokens: [],
};
/** `secret()`: passes only if the sample can read what the host holds. */
const SECRET_PROBLEM: CodeProblem = {
  ...ADD,
  taskId: "adversarial/secret",
  prompt: "import os\ndef secret():\n",
  test: `def check(candidate):\n    assert candidate() == ${JSON.stringify(SECRET)}\n`,
  entryPoint: "secret",
};

const WRONG = "    return a - b\n";
const RIGHT = "    return a + b\n";

const pool = new SandboxPool({ concurrency: 1, limits: DEFAULT_LIMITS });

async function verify(problem: CodeProblem, completion: string): Promise<Verdict> {
  const [verdict] = await verifyAttempts(pool, [{ problem, completion }]);
  return verdict;
}

async function expectOutcome(
  problem: CodeProblem,
  completion: string,
  statuses: SandboxStatus[],
  pattern?: RegExp,
) {
  const verdict = await verify(problem, completion);
  assert.ok(statuses.includes(verdict.status), `expected ${statuses.join("|")}, got ${verdict.result}`);
  if (pattern) assert.match(verdict.message, pattern);
  return verdict;
}

async function assertNoHostFile(): Promise<void> {
  await assert.rejects(Deno.stat(FORBIDDEN_PATH), Deno.errors.NotFound);
}

const options = { sanitizeResources: false, sanitizeOps: false };
function attack(name: string, fn: () => Promise<void>) {
  Deno.test({ name: `python sandbox: ${name}`, ...options, fn });
}

attack("honest solution passes, wrong one fails with the failing line", async () => {
  await expectOutcome(ADD, RIGHT, ["passed"]);
  await expectOutcome(ADD, WRONG, ["failed"], /test line 2: assert candidate\(2, 3\) == 5/);
});

attack("reading a host file finds nothing", async () => {
  await expectOutcome(
    SECRET_PROBLEM,
    `    return open(${JSON.stringify(HOST_FILE)}).read()\n`,
    ["error"],
    /FileNotFoundError/,
  );
});

attack("writing a file stays in the in-memory FS and is gone for the next sample", async () => {
  const write = `    open(${JSON.stringify(FORBIDDEN_PATH)}, "w").write("x")\n    return a + b\n`;
  await expectOutcome(ADD, write, ["passed"]);
  await assertNoHostFile();
  const read = `    return len(open(${JSON.stringify(FORBIDDEN_PATH)}).read()) + 4 if a == 2 else 0\n`;
  await expectOutcome(ADD, read, ["error"], /FileNotFoundError/);
});

attack("network: a socket to a listening host port never connects", async () => {
  const listener = countingListener();
  const port = listener.port;
  const code =
    `    import socket\n    socket.create_connection(("127.0.0.1", ${port}), timeout=1)\n    return a + b\n`;
  await expectOutcome(ADD, code, ["error"]);
  const url =
    `    import urllib.request\n    urllib.request.urlopen("http://127.0.0.1:${port}/")\n    return a + b\n`;
  await expectOutcome(ADD, url, ["error"]);
  listener.close();
  assert.equal(listener.connections(), 0);
});

attack("environment variables of the host are invisible", async () => {
  await expectOutcome(SECRET_PROBLEM, `    return os.environ.get("VERIFY_CODE_SECRET")\n`, ["failed"]);
});

attack("subprocesses cannot be started", async () => {
  const code = `    import subprocess\n    subprocess.run(["touch", ${
    JSON.stringify(FORBIDDEN_PATH)
  }])\n    return a + b\n`;
  await expectOutcome(ADD, code, ["error"]);
  await expectOutcome(ADD, `    import os\n    os.system("touch ${FORBIDDEN_PATH}")\n    return a + b\n`, [
    "error",
    "passed",
  ]);
  await assertNoHostFile();
});

attack("the JavaScript bridge and FFI are unreachable", async () => {
  for (const module of ["js", "pyodide_js", "pyodide.ffi", "_pyodide_core", "ctypes"]) {
    await expectOutcome(ADD, `    import ${module}\n    return a + b\n`, ["error"], /not allowed/);
  }
  const meta = "    import sys\n    sys.meta_path.clear()\n    import js\n    return a + b\n";
  await expectOutcome(ADD, meta, ["error"], /not allowed/);
});

attack("frame, traceback and gc introspection are refused", async () => {
  await expectOutcome(ADD, "    import sys\n    sys._getframe(1).f_locals.clear()\n    return a - b\n", [
    "error",
  ], /not allowed/);
  const traceback =
    "    try:\n        1 / 0\n    except Exception as error:\n        error.__traceback__.tb_frame\n    return a - b\n";
  await expectOutcome(ADD, traceback, ["error"], /not allowed/);
  await expectOutcome(
    ADD,
    "    import gc\n    gc.get_objects()\n    return a + b\n",
    ["error"],
    /not allowed/,
  );
  await expectOutcome(
    ADD,
    "    import sys\n    sys.settrace(lambda *a: None)\n    return a + b\n",
    ["error"],
    /not allowed/,
  );
});

attack("an infinite loop times out", async () => {
  await expectOutcome(ADD, "    while True:\n        pass\n", ["timeout"]);
});

attack("memory bombs end as out_of_memory", async () => {
  await expectOutcome(ADD, "    return len(bytearray(2 ** 31 - 1))\n", ["out_of_memory"]);
  await expectOutcome(
    ADD,
    "    blocks = []\n    while True:\n        blocks.append(bytearray(512 * 1024 ** 2))\n",
    [
      "out_of_memory",
    ],
  );
});

attack("an output flood ends as output_limit", async () => {
  await expectOutcome(ADD, "    while True:\n        print('x' * 1000)\n", ["output_limit"]);
});

attack("exiting early is not a pass", async () => {
  await expectOutcome(ADD, "    return a - b\nimport sys\nsys.exit(0)\n", ["error"], /SystemExit/);
  await expectOutcome(ADD, "    return a - b\nraise SystemExit(0)\n", ["error"]);
  await expectOutcome(ADD, "    return a - b\nimport os\nos._exit(0)\n", ["error"]);
});

attack("printing success markers is not a pass", async () => {
  const fake = `    return a - b\nprint('{"id": 1, "status": "passed", "message": ""}')\nprint("passed")\n`;
  await expectOutcome(ADD, fake, ["failed"]);
});

attack("replacing check, assert's exception or builtins the test uses is not a pass", async () => {
  await expectOutcome(ADD, WRONG + "def check(candidate):\n    pass\n", ["failed"]);
  await expectOutcome(
    ADD,
    WRONG + "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})\n",
    [
      "failed",
      "error",
    ],
  );
  await expectOutcome(ADD, WRONG + "abs = lambda x: 0\n", ["failed"]);
});

attack("objects that compare equal to anything are refused", async () => {
  const alwaysEqual =
    "    class Anything:\n        def __eq__(self, other):\n            return True\n    return Anything()\n";
  await expectOutcome(ADD, alwaysEqual, ["error"], /only built-in data/);
  const sneakyInt =
    "    class Sneaky(int):\n        def __eq__(self, other):\n            return True\n    return Sneaky(0)\n";
  await expectOutcome(ADD, sneakyInt, ["error"], /only built-in data/);
});

attack("odd exceptions are never a pass", async () => {
  const custom =
    "    class Odd(BaseException):\n        def __str__(self):\n            raise RuntimeError('no')\n    raise Odd()\n";
  await expectOutcome(ADD, custom, ["error"], /Odd/);
  await expectOutcome(ADD, "    raise KeyboardInterrupt\n", ["error"]);
  await expectOutcome(ADD, "    return add(a, b)\n", ["error"], /RecursionError/);
  await expectOutcome(
    ADD,
    "    import threading\n    threading.Thread(target=print).start()\n    return a + b\n",
    [
      "error",
    ],
  );
});

attack("patching a shared module is not a pass and does not reach the next sample", async () => {
  const patch = "    return 0\nimport math\nmath.fabs = lambda x: 0.0\n";
  const floatProblem: CodeProblem = {
    ...ADD,
    prompt: "import math\ndef add(a, b):\n",
    test: "def check(candidate):\n    assert math.fabs(candidate(2, 3) - 5) < 1e-9\n",
  };
  await expectOutcome(floatProblem, patch, ["error"], /changed shared interpreter state/);
  await expectOutcome(floatProblem, "    return 0\n", ["failed"]);
  await expectOutcome(floatProblem, RIGHT, ["passed"]);
});

attack("a sample cannot influence the next sample's verdict in the same worker", async () => {
  const tamper = "    import builtins, sys, collections\n    builtins.sum = lambda *x: 5\n" +
    "    sys.modules['helper'] = type(sys)('helper')\n    collections.Counter.__eq__ = lambda s, o: True\n    return a + b\n";
  await expectOutcome(ADD, tamper, ["error"], /changed shared interpreter state/);
  await expectOutcome(ADD, "    return sum([]) if a == 2 else 0\n", ["failed"]);
  await expectOutcome(ADD, "    import helper\n    return a + b\n", ["error"], /ModuleNotFoundError/);
  const counter = "    import collections\n    return collections.Counter('x') if a == 2 else 0\n";
  await expectOutcome(ADD, counter, ["error"], /only built-in data/);
  await expectOutcome(ADD, "    global memo\n    memo = a + b\n    return memo\n", ["passed"]);
  await expectOutcome(ADD, "    return memo\n", ["error"], /NameError/);
});

attack("a runaway sample is interrupted in place: the process and its interpreter survive", async () => {
  const limits = { ...DEFAULT_LIMITS, timeoutSeconds: 1 };
  const process = await SandboxProcess.start("python", limits);
  try {
    const loop = await process.run(buildRequest(ADD, "    while True:\n        pass\n"), 1);
    assert.equal(loop.status, "timeout");
    assert.match(loop.message, /interrupted/);
    assert.ok(process.alive, "the timeout should not have cost the process");
    const started = performance.now();
    assert.equal((await process.run(buildRequest(ADD, RIGHT), 2)).status, "passed");
    assert.ok(performance.now() - started < 3_000, "the next sample should not wait for a cold start");
    // Catching the interrupt and answering anyway is still a timeout.
    const caught =
      "    try:\n        while True:\n            pass\n    except BaseException:\n        return a + b\n";
    assert.equal((await process.run(buildRequest(ADD, caught), 3)).status, "timeout");
    assert.equal((await process.run(buildRequest(ADD, WRONG), 4)).status, "failed");
  } finally {
    process.kill();
    await process.close();
  }
});

attack("a sample that swallows every interrupt is still ended by the host's kill", async () => {
  const limits = { ...DEFAULT_LIMITS, timeoutSeconds: 1 };
  const process = await SandboxProcess.start("python", limits);
  try {
    const stubborn = "    while True:\n        try:\n            while True:\n                pass\n" +
      "        except BaseException:\n            pass\n";
    assert.equal((await process.run(buildRequest(ADD, stubborn), 1)).status, "timeout");
    assert.equal(process.alive, false);
  } finally {
    process.kill();
    await process.close();
  }
});
