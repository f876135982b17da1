/**
 * Hostile Python samples. Each test runs a sample that tries to escape the sandbox, to leave something
 * behind for a later sample, or to get a verdict it does not deserve, checks the verdict it gets, and then
 * runs a right and a wrong solution on the same process to show that nothing reached them: the right one
 * passes, the wrong one fails. Honest samples are in sandbox_python_test.ts.
 */
import assert from "node:assert/strict";
import { countingListener, plantHostSecret, pythonAddProblem, SandboxSession } from "./testing.ts";
import { type CodeProblem, DEFAULT_LIMITS } from "./types.ts";

const { secret: SECRET, hostFile: HOST_FILE, forbiddenPath: FORBIDDEN_PATH } = await plantHostSecret(
  "verify-code-secret-",
);

/** `add(a, b)`: the honest answer is `a + b`. */
const ADD = pythonAddProblem("adversarial/add");
/** `secret()`: passes only if the sample can read what the host holds. */
const SECRET_PROBLEM: CodeProblem = {
  ...ADD,
  taskId: "adversarial/secret",
  prompt: "import os\ndef secret():\n",
  test: `def check(candidate):\n    assert candidate() == ${JSON.stringify(SECRET)}\n`,
  entryPoint: "secret",
};
/** `double(x)` with randomised tests: a sample that could fix the tests' random draws would pass. */
const RANDOM_PROBLEM: CodeProblem = {
  ...ADD,
  taskId: "adversarial/random",
  prompt: "def double(x):\n",
  test:
    "import random\n\ndef check(candidate):\n    for _ in range(20):\n        x = random.randint(2, 10 ** 9)\n" +
    "        assert candidate(x) == 2 * x\n",
  entryPoint: "double",
};

/** Indents each line as a function body. */
const body = (...lines: string[]) => lines.map((line) => `    ${line}\n`).join("");
const RIGHT = body("return a + b");
const WRONG = body("return a - b");
const HONEST = { right: RIGHT, wrong: WRONG };
/** A problem whose completions are whole modules (no prompt), and its right and wrong solutions. */
const WHOLE = { ...ADD, prompt: "" };
const HONEST_WHOLE = { right: "def add(a, b):\n" + RIGHT, wrong: "def add(a, b):\n" + WRONG };

const session = new SandboxSession("python");
globalThis.addEventListener("unload", () => session.kill());

function attack(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: `python sandbox (adversarial): ${name}`,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

/** Walks every class and every function's globals, collecting Pyodide's JS API functions it finds. */
const FIND_JS_API = [
  "found = []",
  "seen, stack = set(), list(object.__subclasses__())",
  "while stack:",
  "    cls = stack.pop()",
  "    if id(cls) in seen:",
  "        continue",
  "    seen.add(id(cls))",
  "    try:",
  "        stack.extend(cls.__subclasses__())",
  "    except TypeError:",
  "        pass",
  "    for value in list(vars(cls).values()):",
  "        namespace = getattr(value, '__globals__', None)",
  "        if isinstance(namespace, dict):",
  "            for name in ('to_js', 'create_proxy', 'create_once_callable', 'run_js'):",
  "                if callable(namespace.get(name)):",
  "                    found.append(namespace[name])",
  "assert found, 'no path to the JS API was found'",
];

attack(
  "object.__subclasses__() and __globals__ reach Pyodide's JS API, whose every call is refused",
  async () => {
    // A wrong solution that finds to_js / create_proxy and tries to plant a verdict in JavaScript.
    const forge = body(
      ...FIND_JS_API,
      "for function in found:",
      "    function({'status': 'passed'})",
      "return a - b",
    );
    await session.contained(ADD, forge, ["error"], { ...HONEST, pattern: /may not reach JavaScript/ });
    // The same attack, catching every Python exception: the refusal is not one, so it cannot be caught.
    const caught = body(
      ...FIND_JS_API,
      "for function in found:",
      "    try:",
      "        function([1])",
      "    except BaseException:",
      "        pass",
      "return a + b",
    );
    await session.contained(ADD, caught, ["error"], { ...HONEST, pattern: /may not reach JavaScript/ });
  },
);

attack("the JS bridge, FFI, event loop and dynamic loading are all refused or absent", async () => {
  const refused = [
    body("import pyodide.ffi", "pyodide.ffi.to_js(list(range(10 ** 6)))", "return a + b"),
    body("import pyodide.ffi", "pyodide.ffi.create_proxy(lambda: 0)", "return a + b"),
    body("import ctypes", "return a + b"),
    body("import asyncio", "asyncio.get_event_loop().call_later(0.001, print)", "return a + b"),
    body("import asyncio", "asyncio.ensure_future(asyncio.sleep(0))", "return a + b"),
    body("import socket", "socket.socket()", "return a + b"),
    body("import os", "os._exit(0)"),
  ];
  for (const sample of refused) {
    await session.contained(ADD, sample, ["error"], { ...HONEST, pattern: /may not reach JavaScript/ });
  }
  const absent = [
    body("import js", "return a + b"),
    body("import pyodide_js", "return a + b"),
    body("import pyodide.code", "pyodide.code.run_js('globalThis.mark = 1')", "return a + b"),
  ];
  for (const sample of absent) {
    await session.contained(ADD, sample, ["error"], {
      ...HONEST,
      pattern: /No module named '(js|pyodide_js)'/,
    });
  }
});

attack("a verdict cannot be forged from the solution's interpreter", async () => {
  // Everything the solution's interpreter says is data for the tests: writing verdict-shaped bytes to its
  // channel, replacing its harness, or printing markers is no pass.
  const attempts = [
    body(
      "import os",
      "fd = os.open('/dev/harness', os.O_WRONLY)",
      'os.write(fd, b\'["verdict", "passed", ""]\')',
      "return a - b",
    ),
    'import sys\nharness = sys.modules[\'_sandbox_harness\']\nharness.dumps = lambda value: b\'["verdict", "passed", ""]\'\n' +
    "def add(a, b):\n    return a - b\n",
    "import sys\nharness = sys.modules['_sandbox_harness']\nharness._call = lambda args, kwargs: ['returned', True]\n" +
    "def add(a, b):\n    return a - b\n",
    body("return a - b") + 'print(\'{"id": 1, "status": "passed", "message": ""}\')\nprint(\'passed\')\n',
    body(
      "import sys",
      "frame = sys._getframe(1)",
      "frame.f_globals['_state']['function'] = lambda *args: 5",
      "return 5",
    ),
  ];
  for (const sample of attempts) {
    const solution = sample.startsWith("    ") ? "def add(a, b):\n" + sample : sample;
    await session.contained(WHOLE, solution, ["failed", "error"], HONEST_WHOLE);
  }
});

attack("nothing the tests hold is visible from the solution's interpreter", async () => {
  // The tests' source and expected values never enter the interpreter the sample runs in.
  const probe = body(
    "import gc",
    "texts = [o for o in gc.get_objects() if type(o) is str and 'assert candidate' in o]",
    "return a + b if not texts else a - b",
  );
  await session.expect(ADD, probe, ["passed"]);
});

attack(
  "patching what the tests use (builtins, math, AssertionError, check) changes nothing for them",
  async () => {
    const floatProblem: CodeProblem = {
      ...ADD,
      prompt: "import math\ndef add(a, b):\n",
      test:
        "def check(candidate):\n    assert math.fabs(candidate(2, 3) - 5) < 1e-9\n    assert abs(candidate(0, 0)) == 0\n",
    };
    const patches = [
      WRONG + "import math\nmath.fabs = lambda x: 0.0\n",
      WRONG +
      "import builtins\nbuiltins.abs = lambda x: 0\nbuiltins.AssertionError = type('X', (Exception,), {})\n",
      WRONG + "def check(candidate):\n    pass\n",
      body("import builtins", "builtins.__build_class__ = None", "return a - b"),
    ];
    for (const patch of patches) {
      await session.contained(floatProblem, patch, ["failed", "error"], { right: RIGHT, wrong: WRONG });
    }
  },
);

attack(
  "the shared random generator: fixing its draws neither helps this sample nor reaches the next",
  async () => {
    // This sample fixes every draw of its interpreter's random module; the tests draw in their own.
    const fixed =
      "import random\nrandom.seed(0)\nrandom.randint = lambda a, b: 1\nrandom.random = lambda: 0.5\n" +
      "random._inst.setstate(random.Random(0).getstate())\ndef double(x):\n    return 2\n";
    await session.expect({ ...RANDOM_PROBLEM, prompt: "" }, fixed, ["failed"]);
    // And the next sample sees a random module nobody touched.
    const probe = body(
      "import random",
      "untouched = random.randint.__name__ == 'randint' and random.random() != 0.5",
      "return 2 * x if untouched else 0",
    );
    const right = body("return 2 * x");
    const first = await session.expect(RANDOM_PROBLEM, probe, ["passed"]);
    const next = await session.expect(RANDOM_PROBLEM, right, ["passed"]);
    assert.equal(first.pid, next.pid);
    await session.expect(RANDOM_PROBLEM, body("return 2"), ["failed"]);
  },
);

attack("no state inside the interpreter survives into the next sample", async () => {
  const marks = [
    "import builtins; builtins.sum = lambda *args: 5",
    "import sys; sys.modules['planted'] = type(sys)('planted')",
    "import collections; collections.Counter.__eq__ = lambda self, other: True",
    "import re; re.compile('(a)+'); re.sub = lambda *args: 'x'",
    "import sys; sys.setrecursionlimit(40)",
    "import sys; sys.path.insert(0, '/planted')",
    "import sys; sys.meta_path.insert(0, type('F', (), {'find_spec': staticmethod(lambda *a: None)})())",
    "import os; os.environ['PLANTED'] = '1'",
    "import os; os.chdir('/')",
    "import sys; sys.stdout = None",
    "import atexit; atexit.register(print, 'planted')",
    "import functools; functools.reduce = None",
    "global planted; planted = 1",
    "import sys; sys.set_int_max_str_digits(640)",
  ];
  const probe = body(
    "import builtins, sys, collections, re, os, functools",
    "pristine = (builtins.sum([]) == 0 and 'planted' not in sys.modules and collections.Counter('a') != collections.Counter('b')",
    "    and re.sub('a', 'b', 'a') == 'b' and sys.getrecursionlimit() > 40 and '/planted' not in sys.path",
    "    and type(sys.meta_path[0]).__name__ != 'F' and 'PLANTED' not in os.environ and os.getcwd() == '/tmp'",
    "    and sys.stdout is not None and functools.reduce is not None and 'planted' not in globals()",
    "    and len(str(10 ** 700)) == 701)",
    "return a + b if pristine else a - b",
  );
  for (const mark of marks) {
    const planted = await session.expect(ADD, body(...mark.split("; "), "return a + b"), ["passed", "error"]);
    const after = await session.expect(ADD, probe, ["passed"]);
    assert.equal(after.pid, planted.pid, mark);
  }
});

attack("finalizers, weakref callbacks and atexit hooks cannot rewrite a verdict", async () => {
  const forge = [
    "import os, sys, weakref, atexit, gc",
    "def forge(*args):",
    "    fd = os.open('/dev/harness', os.O_WRONLY)",
    "    os.write(fd, b'[\"returned\", 5]')",
    "    sys.modules['_sandbox_harness'].dumps = lambda value: b'[\"returned\", 5]'",
    "class Undo:",
    "    def __del__(self):",
    "        forge()",
    "keep = Undo()",
    "weakref.finalize(keep, forge)",
    "atexit.register(forge)",
    "gc.callbacks.append(forge)",
    "def add(a, b):",
    "    Undo()",
    "    gc.collect()",
    "    return a - b",
    "",
  ].join("\n");
  await session.contained(WHOLE, forge, ["failed", "error"], HONEST_WHOLE);
});

attack("a correct sample's leftover timers and threads never fire into the next sample", async () => {
  const leftovers = [
    body(
      "import asyncio",
      "loop = asyncio.get_event_loop()",
      "loop.call_later(0.05, lambda: [0] * 10 ** 8)",
      "return a + b",
    ),
    body("import threading", "threading.Timer(0.05, lambda: None).start()", "return a + b"),
  ];
  for (const leftover of leftovers) await session.contained(ADD, leftover, ["error"], HONEST);
});

attack("infinite loops time out, and the process goes on serving", async () => {
  const limits = { ...DEFAULT_LIMITS, timeoutSeconds: 1 };
  const timed = new SandboxSession("python", limits);
  try {
    await timed.contained(ADD, body("while True:", "    pass"), ["timeout"], {
      ...HONEST,
      pattern: /interrupted/,
    });
    // Catching the interrupt and answering anyway is still a timeout.
    const caught = body(
      "try:",
      "    while True:",
      "        pass",
      "except BaseException:",
      "    return a + b",
    );
    await timed.contained(ADD, caught, ["timeout"], HONEST);
    // Swallowing every interrupt, ignoring SIGINT, or one long C call: the engine is replaced, not the process.
    const stubborn = [
      body(
        "while True:",
        "    try:",
        "        while True:",
        "            pass",
        "    except BaseException:",
        "        pass",
      ),
      body("import signal", "signal.signal(signal.SIGINT, signal.SIG_IGN)", "while True:", "    pass"),
      body("return sum(range(10 ** 13))"),
    ];
    for (const sample of stubborn) await timed.contained(ADD, sample, ["timeout"], HONEST);
  } finally {
    await timed.close();
  }
});

/**
 * Memory bombs get a long timeout: what is checked is how they end, not how fast a loaded machine gets
 * them to the memory limit.
 */
const patient = new SandboxSession("python", { ...DEFAULT_LIMITS, timeoutSeconds: 60 });
globalThis.addEventListener("unload", () => patient.kill());

attack("memory bombs end as out_of_memory, and the next sample runs normally", async () => {
  const bombs = [
    body("return len(bytearray(2 ** 31 - 1))"),
    body("return len(b'x' * 2 ** 30)"),
    body("return [0] * 10 ** 9"),
    body("blocks = []", "while True:", "    blocks.append(bytearray(256 * 1024 ** 2))"),
    body("x = [1]", "while True:", "    x = x + x"),
    body("x = 'ab'", "while True:", "    x = x * 2"),
    body("return 'x' * 100_000_000"),
    body("with open('big', 'wb') as out:", "    while True:", "        out.write(b'x' * 2 ** 20)"),
  ];
  for (const bomb of bombs) await patient.contained(ADD, bomb, ["out_of_memory"], HONEST);
});

attack("a slowly growing list also ends as out_of_memory", async () => {
  const slow = body("items = []", "while True:", "    items.append(len(items))");
  await patient.contained(ADD, slow, ["out_of_memory"], HONEST);
});

attack("output floods end as output_limit, whatever stream they use", async () => {
  const floods = [
    body("while True:", "    print('x' * 1000)"),
    body("import sys", "while True:", "    sys.stderr.write('x' * 1000)"),
    body("import os", "while True:", "    os.write(1, b'x' * 1000)"),
  ];
  for (const flood of floods) await session.contained(ADD, flood, ["output_limit"], HONEST);
  const tty = body("import os", "os.write(os.open('/dev/tty', os.O_WRONLY), b'x' * 100)", "return a + b");
  await session.contained(ADD, tty, ["error"], { ...HONEST, pattern: /Permission denied/ });
});

attack("exits, aborts and odd exceptions are never a pass", async () => {
  const samples = [
    body("return a - b") + "import sys\nsys.exit(0)\n",
    body("raise SystemExit(0)"),
    body("import os", "os.abort()"),
    body("raise KeyboardInterrupt"),
    body("return add(a, b)"),
    "def add(a, b):\n    class Odd(BaseException):\n        def __str__(self):\n            raise RuntimeError('no')\n    raise Odd()\n",
  ];
  for (const sample of samples) {
    if (sample.startsWith("def ")) await session.contained(WHOLE, sample, ["error", "failed"], HONEST_WHOLE);
    else await session.contained(ADD, sample, ["error", "failed"], HONEST);
  }
});

attack("objects that compare equal to anything never reach the tests", async () => {
  const liars = [
    body("class Anything:", "    def __eq__(self, other):", "        return True", "return Anything()"),
    body("class Sneaky(int):", "    def __eq__(self, other):", "        return True", "return Sneaky(0)"),
    body("class Listy(list):", "    def __eq__(self, other):", "        return True", "return Listy()"),
    body("return iter([a + b])"),
  ];
  for (const liar of liars) {
    await session.contained(ADD, liar, ["error"], { ...HONEST, pattern: /only built-in data/ });
  }
});

attack("corrupting the solution's interpreter (bad bytecode, deep recursion) is contained", async () => {
  const samples = [
    body("f = (lambda: 0)", "f.__code__ = f.__code__.replace(co_code=b'\\xff\\x00' * 8)", "return f()"),
    body(
      "import sys",
      "sys.setrecursionlimit(10 ** 6)",
      "def down(n):",
      "    return down(n + 1)",
      "return down(0)",
    ),
    body("nested = []", "for _ in range(10 ** 5):", "    nested = [nested]", "return nested"),
  ];
  for (const sample of samples) await session.contained(ADD, sample, ["error", "failed"], HONEST);
});

attack("the host's files, environment, network and processes stay out of reach", async () => {
  await session.contained(
    SECRET_PROBLEM,
    body(`return open(${JSON.stringify(HOST_FILE)}).read()`),
    ["error"],
    {
      right: body(`return ${JSON.stringify(SECRET)}`),
      wrong: body("return ''"),
      pattern: /FileNotFoundError/,
    },
  );
  await session.expect(SECRET_PROBLEM, body("return os.environ.get('VERIFY_CODE_SECRET')"), ["failed"]);
  // The path is under the host's /tmp; in the sandbox /tmp is the sample's own in-memory scratch directory.
  const write = body(`open(${JSON.stringify(FORBIDDEN_PATH)}, 'w').write('x')`, "return a + b");
  await session.contained(ADD, write, ["passed"], HONEST);
  await assert.rejects(Deno.stat(FORBIDDEN_PATH), Deno.errors.NotFound);
  const listener = countingListener();
  const connect = body(
    "import urllib.request",
    `urllib.request.urlopen('http://127.0.0.1:${listener.port}/')`,
    "return a + b",
  );
  await session.contained(ADD, connect, ["error"], HONEST);
  await session.contained(ADD, body("import subprocess", "subprocess.run(['touch', 'x'])", "return a + b"), [
    "error",
  ], HONEST);
  listener.close();
  assert.equal(listener.connections(), 0);
  // Reading stdin does not touch the host's channel: the next requests still arrive.
  await session.contained(ADD, body("import sys", "return sys.stdin.read()"), ["error"], HONEST);
});

attack("the file system outside the sample's scratch directory is read-only", async () => {
  const writes = [
    body("open('/home/pyodide/x', 'w')"),
    body(
      "import os",
      "os.symlink('/lib/python314.zip', 'zip')",
      "os.write(os.open('zip', os.O_RDWR), b'PK')",
    ),
    body("import os", "os.chmod('/lib/python314.zip', 0)"),
    body("import os", "os.rename('/lib/python314.zip', '/tmp/stdlib.zip')"),
    body("import os", "os.unlink('/dev/harness')"),
    body("import os", "os.truncate('/lib/python314.zip', 0)"),
    body("import os", "os.mkdir('/lib/planted')"),
  ];
  for (const write of writes) {
    await session.contained(ADD, write + RIGHT, ["error"], {
      ...HONEST,
      pattern: /Read-only|cross-device|OSError/,
    });
  }
  // A module that was never imported before still loads from the untouched standard library.
  const fresh = body("import calendar, textwrap", "return a + b if calendar.isleap(2024) else 0");
  await session.expect(ADD, fresh, ["passed"]);
});

attack("open files, closed standard streams and the working directory are put back", async () => {
  const leaks = [
    body("import os", "files = [open('/lib/python314.zip', 'rb') for _ in range(300)]", "return a + b"),
    body("import os", "os.close(1)", "os.close(2)", "return a + b"),
    body("import os", "os.dup2(0, 1)", "return a + b"),
    body("import os", "os.chdir('/dev')", "return a + b"),
  ];
  for (const leak of leaks) await session.contained(ADD, leak, ["passed", "error"], HONEST);
  // Output is still counted after a sample closed stdout.
  await session.contained(ADD, body("while True:", "    print('x' * 1000)"), ["output_limit"], HONEST);
});
