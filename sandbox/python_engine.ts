/**
 * The Python engine: a Web Worker of the Python runner that owns two gated interpreters (see
 * python_interpreter.ts) and turns one sample request into one verdict.
 *
 * - The _solution_ interpreter runs the prompt and completion and answers calls of the entry point.
 * - The _tests_ interpreter runs the prompt (for its helpers) and the tests, with a `candidate` whose calls
 *   this engine carries to the solution interpreter and back as bytes. It never runs sample code.
 *
 * Before every sample both interpreters are restored to their boot image, so nothing a sample did (to
 * either one) is seen by the next. The verdict is the tests interpreter's, overridden by what only this
 * engine observes: output past the limit, a memory growth refused by either interpreter's budget, a refused
 * JavaScript import. The runner's main thread owns the clock and decides `timeout` (python_runner.ts).
 *
 * Messages: the runner posts one {@link EngineInit}, then {@link EngineSample}s one at a time; the engine
 * answers {@link EngineBooted} once, then one {@link EngineVerdict} per sample.
 *
 * @module
 */
import { truncate } from "./channel.ts";
import { SOLUTION_HARNESS, TESTS_HARNESS } from "./python_harness.ts";
import {
  bootInterpreter,
  type Interpreter,
  loadPyodideModule,
  type StepOutcome,
} from "./python_interpreter.ts";
import { MAX_MESSAGE_CHARS, type SandboxRequest, type SandboxStatus } from "./protocol.ts";

/** Limits the engine enforces itself. */
export interface EngineLimits {
  /** Bytes of output (both interpreters, stdout and stderr) per sample before `output_limit`. */
  outputBytes: number;
  /** Largest WebAssembly memory of the solution interpreter. */
  solutionMemoryBytes: number;
  /** Largest WebAssembly memory of the tests interpreter. */
  testsMemoryBytes: number;
  /** Bytes that files in each interpreter's scratch directory may take. */
  scratchBytes: number;
  /** Largest encoded value that may travel between the interpreters. */
  messageBytes: number;
  /** Memory growth past the boot image after which the engine asks to be replaced. */
  recycleGrowthBytes: number;
}

/** First message to the engine. */
export interface EngineInit {
  pyodideDir: string;
  /** `pyodide.asm.wasm`, compiled by the runner. */
  wasm: WebAssembly.Module;
  /** Pyodide snapshot from an earlier engine; absent for the first one, which makes it. */
  snapshot?: Uint8Array;
  limits: EngineLimits;
  /** Interrupt buffers of the solution and tests interpreters (the runner writes 2 to stop them). */
  interrupts: { solution: Uint8Array; tests: Uint8Array };
}

/** Sent once the interpreters are ready. */
export interface EngineBooted {
  booted: true;
  /** The Pyodide snapshot made by a first engine, for the next ones. */
  snapshot?: Uint8Array;
}

/** One sample. */
export type EngineSample = Pick<
  SandboxRequest,
  "id" | "solution" | "testPrelude" | "test" | "entryPoint" | "testFunction"
>;

/** The engine's verdict for one sample. */
export interface EngineVerdict {
  id: number;
  status: SandboxStatus;
  message: string;
  /** True when the engine should be replaced before the next sample (an interpreter grew a lot, or faulted). */
  recycle: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encodeJson = (value: unknown) => encoder.encode(JSON.stringify(value));

/** What the engine saw while one sample ran. */
class SampleLog {
  outputBytes = 0;
  solutionAbort: (StepOutcome & { kind: "aborted" }) | undefined;
  testsAbort: (StepOutcome & { kind: "aborted" }) | undefined;
  oversizedMessage = false;
  solutionAnswer: Uint8Array | undefined;
  testsVerdict: [SandboxStatus, string] | undefined;
}

/** Which of the two interpreters. */
type Role = "solution" | "tests";

/** The two interpreters and the sample currently running. */
export class Engine {
  #log = new SampleLog();

  private constructor(
    readonly solution: Interpreter,
    readonly tests: Interpreter,
    readonly limits: EngineLimits,
    readonly interrupts: EngineInit["interrupts"],
  ) {
    solution.onMessage((message) => {
      if (message.length > limits.messageBytes) this.#log.oversizedMessage = true;
      else this.#log.solutionAnswer = message.slice();
      return undefined;
    });
    tests.onMessage((message) => this.#fromTests(message));
  }

  /** Boots both interpreters (cold, making a snapshot, when `init.snapshot` is absent). */
  static async boot(init: EngineInit): Promise<{ engine: Engine; snapshot?: Uint8Array }> {
    const load = await loadPyodideModule(init.pyodideDir);
    const printed = { count: (_bytes: number) => {} };
    let snapshot = init.snapshot;
    const boot = async (role: Role) => {
      const booted = await bootInterpreter(load, {
        pyodideDir: init.pyodideDir,
        wasm: init.wasm,
        snapshot,
        harness: role === "solution" ? SOLUTION_HARNESS : TESTS_HARNESS,
        maxMemoryBytes: role === "solution" ? init.limits.solutionMemoryBytes : init.limits.testsMemoryBytes,
        scratchBytes: init.limits.scratchBytes,
        interrupt: init.interrupts[role],
        output: (bytes) => printed.count(bytes),
      });
      // The first, cold boot made the snapshot every later interpreter starts from.
      snapshot ??= booted.snapshot;
      return booted.interpreter;
    };
    const solution = await boot("solution");
    const tests = await boot("tests");
    const engine = new Engine(solution, tests, init.limits, init.interrupts);
    printed.count = (bytes) => engine.#countOutput(bytes);
    return { engine, snapshot: init.snapshot ? undefined : snapshot };
  }

  /**
   * True when an interpreter grew past {@link EngineLimits.recycleGrowthBytes} or faulted during the last
   * sample: restoring it would mean zeroing all that memory before every sample, so the runner replaces
   * the whole engine.
   */
  #needsRecycle(role: Role): boolean {
    const interpreter = role === "solution" ? this.solution : this.tests;
    const abort = role === "solution" ? this.#log.solutionAbort : this.#log.testsAbort;
    return interpreter.grownBytes > this.limits.recycleGrowthBytes || isFault(abort);
  }

  /** Runs one sample from pristine interpreters and returns its verdict. */
  run(sample: EngineSample): EngineVerdict {
    this.solution.restore();
    this.tests.restore();
    Atomics.store(this.interrupts.solution, 0, 0);
    Atomics.store(this.interrupts.tests, 0, 0);
    const log = this.#log = new SampleLog();
    const { status, message } = this.#verdict(sample, log);
    const recycle = this.#needsRecycle("solution") || this.#needsRecycle("tests");
    return { id: sample.id, status, message: truncate(message, MAX_MESSAGE_CHARS), recycle };
  }

  #verdict(sample: EngineSample, log: SampleLog): { status: SandboxStatus; message: string } {
    const found = this.#runSample(sample, log);
    if (log.outputBytes > this.limits.outputBytes) {
      return {
        status: "output_limit",
        message: `the sample printed more than ${this.limits.outputBytes} bytes`,
      };
    }
    const outOfMemory = this.solution.outOfMemory ?? this.tests.outOfMemory ??
      (log.oversizedMessage
        ? `a value passed to or from the candidate is larger than ${this.limits.messageBytes >> 20} MiB`
        : undefined);
    if (outOfMemory) return { status: "out_of_memory", message: outOfMemory };
    const refused = log.solutionAbort?.refusedImport;
    if (refused) {
      return { status: "error", message: `sandbox: Python code may not reach JavaScript (${refused})` };
    }
    return found;
  }

  #runSample(sample: EngineSample, log: SampleLog): { status: SandboxStatus; message: string } {
    this.solution.queue(encodeJson(["load", sample.solution, sample.entryPoint]));
    const loaded = this.#stepSolution(log);
    if (loaded === undefined) return faultVerdict("the solution", log.solutionAbort);
    const answer = parseAnswer(loaded);
    if (answer[0] === "syntax_error") return { status: "syntax_error", message: String(answer[1]) };
    if (answer[0] === "raised") {
      return { status: answer[1] === "AssertionError" ? "failed" : "error", message: String(answer[2]) };
    }
    if (answer[0] !== "loaded") {
      return { status: "error", message: `sandbox: ${String(answer[1] ?? answer[0])}` };
    }
    this.tests.queue(encodeJson({
      prelude: sample.testPrelude,
      test: sample.test,
      entry_point: sample.entryPoint,
      test_function: sample.testFunction,
    }));
    const outcome = this.tests.step();
    if (outcome.kind === "aborted") log.testsAbort = outcome;
    if (log.testsVerdict) {
      const [status, message] = log.testsVerdict;
      return { status, message };
    }
    return faultVerdict("the tests", log.testsAbort);
  }

  /** Steps the solution interpreter once; its answer, or undefined when it was stopped. */
  #stepSolution(log: SampleLog): Uint8Array | undefined {
    if (log.solutionAbort) return undefined;
    log.solutionAnswer = undefined;
    const outcome = this.solution.step();
    if (outcome.kind === "aborted") {
      log.solutionAbort = outcome;
      return undefined;
    }
    const answer = log.solutionAnswer ?? encodeJson(["failed", "the solution's harness gave no answer"]);
    // The solution may claim its own answer is too large: that can only turn its verdict into a non-pass.
    if (startsWith(answer, OVERSIZED)) log.oversizedMessage = true;
    return answer;
  }

  /** A message from the tests interpreter: a candidate call (answered) or the verdict. */
  #fromTests(message: Uint8Array): Uint8Array | undefined {
    const log = this.#log;
    if (startsWith(message, CALL_PREFIX)) {
      if (message.length > this.limits.messageBytes) {
        return abortMessage(log, true, "the arguments are too large");
      }
      this.solution.queue(message);
      const answer = this.#stepSolution(log);
      if (answer === undefined) {
        const why = log.solutionAbort?.refusedImport
          ? `sandbox: Python code may not reach JavaScript (${log.solutionAbort.refusedImport})`
          : `the solution's interpreter stopped: ${log.solutionAbort?.reason}`;
        return encodeJson(["abort", why]);
      }
      if (log.oversizedMessage) return abortMessage(log, true, "the answer is too large");
      return answer;
    }
    const verdict = parseAnswer(message);
    if (verdict[0] === "verdict" && typeof verdict[1] === "string" && typeof verdict[2] === "string") {
      log.testsVerdict = [verdict[1] as SandboxStatus, verdict[2]];
    }
    return undefined;
  }

  #countOutput(bytes: number): void {
    const log = this.#log;
    log.outputBytes += bytes;
    if (log.outputBytes > this.limits.outputBytes) {
      Atomics.store(this.interrupts.solution, 0, 2);
      Atomics.store(this.interrupts.tests, 0, 2);
    }
  }
}

const CALL_PREFIX = encoder.encode('["call"');
const OVERSIZED = encoder.encode('["oversized"]');

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (bytes[index] !== prefix[index]) return false;
  return true;
}

function abortMessage(log: SampleLog, oversized: boolean, why: string): Uint8Array {
  log.oversizedMessage ||= oversized;
  return encodeJson(["abort", `sandbox: ${why}`]);
}

/** Parses an answer from an interpreter: a JSON array, or a one-element array naming what was wrong. */
function parseAnswer(bytes: Uint8Array): unknown[] {
  try {
    const value = JSON.parse(decoder.decode(bytes));
    return Array.isArray(value) ? value : ["malformed answer"];
  } catch {
    return ["malformed answer"];
  }
}

function faultVerdict(
  who: string,
  abort: (StepOutcome & { kind: "aborted" }) | undefined,
): { status: SandboxStatus; message: string } {
  return { status: "error", message: `${who} stopped: ${abort?.reason ?? "no verdict"}` };
}

/** A stop that may have left JavaScript-side state half-updated (not a refused import, not a trap). */
function isFault(abort: (StepOutcome & { kind: "aborted" }) | undefined): boolean {
  if (!abort) return false;
  return abort.refusedImport === undefined && !abort.reason.startsWith("RuntimeError");
}

/** Entry point when loaded as a worker. */
function serveAsWorker(): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
    postMessage(message: unknown, transfer?: Transferable[]): void;
  };
  let engine: Engine | undefined;
  scope.onmessage = async (event: MessageEvent<EngineInit | EngineSample>) => {
    if ("wasm" in event.data) {
      const booted = await Engine.boot(event.data);
      engine = booted.engine;
      scope.postMessage({ booted: true, snapshot: booted.snapshot } satisfies EngineBooted);
      return;
    }
    if (!engine) throw new Error("python engine: a sample arrived before the engine booted");
    scope.postMessage(engine.run(event.data));
  };
}

if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined") serveAsWorker();
