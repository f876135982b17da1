/**
 * Trusted runner for Python samples: the entry module of a `deno run` whose only permission is reading
 * Pyodide's directory and this folder (passed as arguments).
 *
 * The interpreters live in a worker, the engine (python_engine.ts); this main thread only talks to the
 * host and keeps the clock, so it is never blocked by a sample. For every request it posts the sample to
 * the engine and arms a timer:
 *
 * - at the timeout it writes Pyodide's interrupt flag into both interpreters (repeated every
 *   {@link REPEAT_INTERRUPT_MS} ms), and the verdict is `timeout` whatever the engine answers;
 * - {@link STOP_GRACE_MS} later, if the engine still has not answered (the sample swallows interrupts or
 *   is stuck in one long call), it terminates the engine's worker, answers `timeout`, and swaps in a spare
 *   engine, booted ahead from the saved Pyodide snapshot (a new spare then boots in the background).
 *
 * So a timeout costs its limit plus at most {@link STOP_GRACE_MS}. The engine is swapped the same way when
 * it asks to be (an interpreter grew a lot, or faulted); the host is told through `recycled` and `ready`.
 *
 * @module
 */
import { type HostChannel, openHostChannel } from "./channel.ts";
import type { EngineBooted, EngineInit, EngineLimits, EngineVerdict } from "./python_engine.ts";
import { MAX_MESSAGE_BYTES } from "./python_harness.ts";
import type { SandboxRequest, SandboxResponse } from "./protocol.ts";

/** How often the interrupt is repeated while a timed-out sample keeps running. */
export const REPEAT_INTERRUPT_MS = 100;
/** How long after the timeout the engine is terminated if it has not answered. */
export const STOP_GRACE_MS = 500;

const LIMITS: Omit<EngineLimits, "outputBytes"> = {
  solutionMemoryBytes: 512 * 1024 ** 2,
  testsMemoryBytes: 256 * 1024 ** 2,
  scratchBytes: 64 * 1024 ** 2,
  messageBytes: MAX_MESSAGE_BYTES,
  recycleGrowthBytes: 64 * 1024 ** 2,
};

/** A running engine worker. */
class EngineHandle {
  readonly #worker: Worker;
  readonly #interrupts = {
    solution: new Uint8Array(new SharedArrayBuffer(1)),
    tests: new Uint8Array(new SharedArrayBuffer(1)),
  };
  #pending: ((message: EngineBooted | EngineVerdict | { failed: string }) => void) | undefined;

  constructor(init: Omit<EngineInit, "interrupts">) {
    this.#worker = new Worker(new URL("./python_engine.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<EngineBooted | EngineVerdict>) => this.#settle(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#settle({ failed: event.message });
    };
    this.#worker.postMessage({ ...init, interrupts: this.#interrupts } satisfies EngineInit);
  }

  /** Waits for the next message from the engine. */
  next(): Promise<EngineBooted | EngineVerdict | { failed: string }> {
    return new Promise((resolve) => this.#pending = resolve);
  }

  post(sample: unknown): void {
    this.#worker.postMessage(sample);
  }

  /** Asks both interpreters to stop (Python raises KeyboardInterrupt at its next check). */
  interrupt(): void {
    Atomics.store(this.#interrupts.solution, 0, 2);
    Atomics.store(this.#interrupts.tests, 0, 2);
  }

  terminate(): void {
    this.#worker.terminate();
  }

  #settle(message: EngineBooted | EngineVerdict | { failed: string }): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(message);
  }
}

/** Serves requests on an engine, swapping in a spare one when it timed out, faulted or grew. */
class PythonRunner {
  #engine: EngineHandle | undefined;
  #spare: Promise<EngineHandle> | undefined;
  #snapshot: Uint8Array | undefined;

  constructor(readonly pyodideDir: string, readonly wasm: WebAssembly.Module, readonly outputBytes: number) {}

  /** Boots the first engine (cold: it makes the snapshot later ones start from), then a spare. */
  async start(): Promise<void> {
    this.#engine = await this.#boot();
    this.#spare = this.#bootSpare();
  }

  /** Runs one request; `recycled` in the answer says the engine is being replaced (a `ready` follows). */
  async run(request: SandboxRequest): Promise<SandboxResponse> {
    const engine = this.#engine!;
    const answer = engine.next();
    engine.post({
      id: request.id,
      solution: request.solution,
      testPrelude: request.testPrelude,
      test: request.test,
      entryPoint: request.entryPoint,
      testFunction: request.testFunction,
    });
    let timedOut = false;
    let repeat: ReturnType<typeof setInterval> | undefined;
    const timeout = new Promise<"stopped">((resolve) => {
      const timer = setTimeout(() => {
        timedOut = true;
        engine.interrupt();
        repeat = setInterval(() => engine.interrupt(), REPEAT_INTERRUPT_MS);
        setTimeout(() => resolve("stopped"), STOP_GRACE_MS);
      }, request.timeoutMs);
      answer.then(() => clearTimeout(timer));
    });
    const first = await Promise.race([answer, timeout]);
    clearInterval(repeat);
    const timeoutMessage = `no verdict within ${request.timeoutMs} ms (the sample was interrupted)`;
    if (first === "stopped" || !("id" in first)) {
      this.#retire(engine);
      if (first === "stopped") {
        return { id: request.id, status: "timeout", message: timeoutMessage, recycled: true };
      }
      const why = "failed" in first ? first.failed : "an unexpected message";
      return { id: request.id, status: "error", message: `the Python engine failed: ${why}`, recycled: true };
    }
    const response: SandboxResponse = timedOut
      ? { id: request.id, status: "timeout", message: timeoutMessage }
      : { id: request.id, status: first.status, message: first.message };
    if (first.recycle) {
      this.#retire(engine);
      response.recycled = true;
    }
    return response;
  }

  /** After a `recycled` answer: swaps in the spare engine (waiting for it if it is still booting). */
  async recover(): Promise<void> {
    const spare = this.#spare ?? this.#boot();
    this.#spare = undefined;
    this.#engine = await spare.catch(() => this.#boot());
    this.#spare = this.#bootSpare();
  }

  /** Boots an engine in the background; a failure surfaces when it is swapped in. */
  #bootSpare(): Promise<EngineHandle> {
    const spare = this.#boot();
    spare.catch(() => {});
    return spare;
  }

  #retire(engine: EngineHandle): void {
    engine.terminate();
    this.#engine = undefined;
  }

  async #boot(): Promise<EngineHandle> {
    const engine = new EngineHandle({
      pyodideDir: this.pyodideDir,
      wasm: this.wasm,
      snapshot: this.#snapshot,
      limits: { ...LIMITS, outputBytes: this.outputBytes },
    });
    const booted = await engine.next();
    if (!("booted" in booted)) {
      engine.terminate();
      throw new Error(
        `python runner: the engine failed to boot: ${"failed" in booted ? booted.failed : "?"}`,
      );
    }
    this.#snapshot ??= booted.snapshot;
    return engine;
  }
}

async function serve(channel: HostChannel, pyodideDir: string): Promise<void> {
  const wasmPath = pyodideDir.replace(/\/$/, "") + "/pyodide.asm.wasm";
  const wasm = await WebAssembly.compile(await Deno.readFile(wasmPath));
  const runner = new PythonRunner(pyodideDir, wasm, channel.outputLimitBytes);
  await runner.start();
  channel.send({ ready: true });
  for await (const request of channel.requests()) {
    const response = await runner.run(request);
    channel.send(response);
    if (response.recycled) {
      await runner.recover();
      channel.send({ ready: true });
    }
  }
  Deno.exit(0);
}

if (import.meta.main) {
  const pyodideDir = Deno.args[0];
  if (!pyodideDir) throw new Error("python_runner: pass Pyodide's directory as the first argument");
  await serve(await openHostChannel(), pyodideDir);
}
