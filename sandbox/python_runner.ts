/**
 * Trusted runner for Python samples: the entry module of a `deno run` whose only permission is reading
 * Pyodide's own directory (passed as the first argument).
 *
 * It boots Pyodide once, imports the standard modules solutions commonly use, takes an in-memory
 * snapshot, then installs the harness (see python_harness.ts) and serves requests. Every sample runs in
 * fresh namespaces; when a sample touches shared state or the interpreter faults, the interpreter is thrown
 * away and a new one is restored from the snapshot (about 0.25 s instead of a 4 s cold start).
 *
 * A sample that runs past its timeout is stopped by a watchdog thread (python_watchdog.ts) through
 * Pyodide's interrupt buffer, answered as `timeout`, and followed by a snapshot restore, so the process
 * and its start-up survive; the host's wall-clock kill of the whole process stays as the backstop for a
 * sample the interrupt cannot reach.
 *
 * @module
 */
import { type HostChannel, openHostChannel, truncate } from "./channel.ts";
import { PYTHON_HARNESS } from "./python_harness.ts";
import { Watchdog, type WatchdogOutcome } from "./python_watchdog.ts";
import {
  MAX_MESSAGE_CHARS,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxStatus,
} from "./protocol.ts";

/** Modules imported before the snapshot, so that typical solutions find them already loaded. */
const PRELOADED_MODULES = [
  "math",
  "re",
  "collections",
  "itertools",
  "functools",
  "string",
  "heapq",
  "bisect",
  "random",
  "fractions",
  "statistics",
  "typing",
  "operator",
  "copy",
  "decimal",
  "datetime",
  "json",
  "hashlib",
  "dataclasses",
  "enum",
];

/** The subset of the Pyodide API this runner uses. */
interface PyodideApi {
  runPython(code: string, options?: { globals?: PyProxy }): unknown;
  makeMemorySnapshot(): Uint8Array;
  setStdout(options: { write: (buffer: Uint8Array) => number }): void;
  setStderr(options: { write: (buffer: Uint8Array) => number }): void;
  setInterruptBuffer(buffer: Uint8Array): void;
  globals: PyProxy;
}

/** A Python object seen from JavaScript. */
interface PyProxy {
  (...args: unknown[]): PyProxy;
  get(key: string): PyProxy;
  toJs(): unknown;
  destroy(): void;
}

type LoadPyodide = (options: Record<string, unknown>) => Promise<PyodideApi>;

/** An interpreter with the harness installed. */
interface Interpreter {
  runSample: PyProxy;
  afterSample: PyProxy;
}

/** Counts the bytes a sample prints and interrupts it once it exceeds the limit. */
class OutputMeter {
  bytes = 0;
  readonly interrupt = new Uint8Array(new SharedArrayBuffer(1));
  constructor(readonly limit: number) {}
  reset(): void {
    this.bytes = 0;
    this.interrupt[0] = 0;
  }
  get exceeded(): boolean {
    return this.bytes > this.limit;
  }
  write = (buffer: Uint8Array): number => {
    this.bytes += buffer.length;
    if (this.exceeded) this.interrupt[0] = 2; // SIGINT: Python raises KeyboardInterrupt at the next check.
    return buffer.length;
  };
}

async function loadApi(pyodideDir: string): Promise<LoadPyodide> {
  const url = "file://" + encodeURI(pyodideDir.replace(/\/$/, "") + "/pyodide.mjs");
  const module = await import(url);
  return module.loadPyodide as LoadPyodide;
}

function baseOptions(pyodideDir: string): Record<string, unknown> {
  return {
    indexURL: pyodideDir.replace(/\/$/, "") + "/",
    jsglobals: Object.create(null),
    env: {},
    stdout: () => {},
  };
}

function installHarness(api: PyodideApi, meter: OutputMeter): Interpreter {
  api.setStdout({ write: meter.write });
  api.setStderr({ write: meter.write });
  api.setInterruptBuffer(meter.interrupt);
  const namespace = (api.globals.get("dict") as PyProxy)();
  api.runPython(PYTHON_HARNESS, { globals: namespace });
  const pair = (namespace.get("install") as PyProxy)();
  const interpreter = {
    runSample: pair.get(0 as unknown as string),
    afterSample: pair.get(1 as unknown as string),
  };
  namespace.destroy();
  return interpreter;
}

/** Boots the first interpreter and returns it with a snapshot for later ones. */
async function bootFirst(load: LoadPyodide, pyodideDir: string, meter: OutputMeter) {
  const api = await load({ ...baseOptions(pyodideDir), _makeSnapshot: true });
  api.runPython(`import ${PRELOADED_MODULES.join(", ")}`);
  const snapshot = api.makeMemorySnapshot();
  return { snapshot, interpreter: installHarness(api, meter) };
}

function statusOfFault(error: unknown): { status: SandboxStatus; message: string } {
  const text = String(error instanceof Error ? error.message : error);
  const outOfMemory = /out of memory|OOM|Cannot enlarge memory|Array buffer allocation failed|grow/i.test(
    text,
  );
  return { status: outOfMemory ? "out_of_memory" : "error", message: "interpreter fault: " + text };
}

/** What one sample came to, and whether the watchdog still answers (if not, the process must end). */
interface SampleOutcome {
  response: SandboxResponse;
  watchdogLost: boolean;
}

/** Calls the harness's run_sample under the watchdog; a fault is rethrown unless the sample timed out. */
function runUnderWatchdog(
  interpreter: Interpreter,
  request: SandboxRequest,
  watchdog: Watchdog,
): { status: SandboxStatus; message: string; watchdog: WatchdogOutcome } {
  watchdog.arm(request.timeoutMs);
  let verdict: [SandboxStatus, string] | undefined;
  let fault: unknown;
  try {
    const result = interpreter.runSample(
      request.solution,
      request.testPrelude,
      request.test,
      request.entryPoint,
      request.testFunction,
    );
    verdict = result.toJs() as [SandboxStatus, string];
    result.destroy();
  } catch (error) {
    fault = error;
  }
  const outcome = watchdog.disarm();
  if (outcome !== "finished") {
    const message = `no verdict within ${request.timeoutMs} ms (the sample was interrupted)`;
    return { status: "timeout", message, watchdog: outcome };
  }
  if (verdict === undefined) throw fault;
  return { status: verdict[0], message: verdict[1], watchdog: outcome };
}

function runOne(
  interpreter: Interpreter,
  request: SandboxRequest,
  meter: OutputMeter,
  watchdog: Watchdog,
): SampleOutcome {
  meter.reset();
  let status: SandboxStatus;
  let message: string;
  let recycle = false;
  try {
    const run = runUnderWatchdog(interpreter, request, watchdog);
    ({ status, message } = run);
    if (run.watchdog !== "finished") {
      // Interrupted at an arbitrary point: restore a clean interpreter rather than trust this one.
      const response = { id: request.id, status, message, recycled: true };
      return { response, watchdogLost: run.watchdog === "unresponsive" };
    }
    const after = interpreter.afterSample();
    const [changed, tainted] = after.toJs() as [string, string];
    after.destroy();
    if (changed !== "") {
      recycle = true;
      if (status === "passed") {
        status = "error";
        message = `sandbox: the sample changed shared interpreter state (${changed}); not counted as a pass`;
      }
    }
    if (tainted !== "") recycle = true;
  } catch (error) {
    ({ status, message } = statusOfFault(error));
    recycle = true;
  }
  if (meter.exceeded) {
    status = "output_limit";
    message = `the sample printed more than ${meter.limit} bytes`;
    recycle = true;
  }
  if (status === "out_of_memory") recycle = true;
  const response = {
    id: request.id,
    status,
    message: truncate(message, MAX_MESSAGE_CHARS),
    recycled: recycle,
  };
  return { response, watchdogLost: false };
}

async function serve(channel: HostChannel, pyodideDir: string): Promise<void> {
  const meter = new OutputMeter(channel.outputLimitBytes);
  const watchdog = new Watchdog(meter.interrupt);
  const load = await loadApi(pyodideDir);
  const first = await bootFirst(load, pyodideDir, meter);
  let interpreter = first.interpreter;
  channel.send({ ready: true });
  for await (const request of channel.requests()) {
    const { response, watchdogLost } = runOne(interpreter, request, meter, watchdog);
    channel.send(response);
    // After running out of memory the old interpreter's memory is not yet reclaimed, so a new one may not
    // fit; and a watchdog that stopped answering may still raise an interrupt later. Either way, end the
    // process and let the host start a fresh one.
    if (response.status === "out_of_memory" || watchdogLost) Deno.exit(0);
    if (response.recycled) {
      const api = await load({ ...baseOptions(pyodideDir), _loadSnapshot: first.snapshot });
      interpreter = installHarness(api, meter);
      channel.send({ ready: true });
    }
  }
  watchdog.close();
}

if (import.meta.main) {
  const pyodideDir = Deno.args[0];
  if (!pyodideDir) throw new Error("python_runner: pass Pyodide's directory as the first argument");
  await serve(await openHostChannel(), pyodideDir);
}
