/**
 * Trusted runner for JavaScript and TypeScript samples: the entry module of a `deno run` with no
 * permissions at all. Samples run in Web Workers created from a data: URL holding
 * {@link sampleWorkerMain}; the host's hard timeout and memory limit cover the whole process.
 *
 * A worker costs about 15 ms of CPU to start, far more than a sample, so samples first run in a
 * reusable worker: a deep-frozen realm that serves up to {@link SAMPLES_PER_REALM} samples (see
 * js_sample_worker.ts for why one sample cannot change another's verdict there). Its `passed`, `failed`,
 * `syntax_error` and `error` verdicts are final: they come from the sample's own imports, which nothing
 * an earlier sample left behind can reach. Two exceptions, and every other outcome (a timeout, running
 * out of memory or output, a worker error event, the worker dying), may have been caused by code an
 * earlier sample left running or by the frozen realm itself: an error thrown by a write to a frozen
 * object (the realm froze more than a fresh one does), so the runner discards that worker, tells the
 * host, and re-runs the sample in a fresh single-use worker, whose verdict is final. A replacement
 * reusable worker is started in the background while samples run, so its start-up cost overlaps with
 * work.
 *
 * @module
 */
import { type HostChannel, openHostChannel, truncate } from "./channel.ts";
import { sampleWorkerMain, type WorkerStart, type WorkerVerdict } from "./js_sample_worker.ts";
import {
  MAX_MESSAGE_CHARS,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxStatus,
} from "./protocol.ts";

const WORKER_URL = "data:text/javascript," + encodeURIComponent(`(${String(sampleWorkerMain)})();`);

/** Samples one reusable worker serves before it is replaced (bounds the modules and memory it keeps). */
export const SAMPLES_PER_REALM = 64;

/** Verdicts the harness of a reusable worker may give that stand without a re-run. */
const FINAL_IN_SHARED_REALM: ReadonlySet<SandboxStatus> = new Set([
  "passed",
  "failed",
  "syntax_error",
  "error",
]);

/** A verdict as a {@link SampleWorker} reports it. */
interface WorkerOutcome {
  status: SandboxStatus;
  message: string;
  /** True when a reusable worker's verdict stands without a re-run in a fresh worker. */
  final: boolean;
}

/** A data: URL holding `source` as a module of the given dialect. */
export function moduleUrl(source: string, dialect: SandboxRequest["dialect"]): string {
  const mediaType = dialect === "typescript" ? "application/typescript" : "text/javascript";
  return `data:${mediaType},${encodeURIComponent(source)}`;
}

/** The test module: imports the entry point from the solution module, then runs the tests. */
export function testModuleSource(request: SandboxRequest, solutionUrl: string): string {
  const call = request.testFunction ? `\n${request.testFunction}(${request.entryPoint});\n` : "\n";
  return `import { ${request.entryPoint} } from ${JSON.stringify(solutionUrl)};\n${request.test}${call}`;
}

/**
 * The solution module: the solution text plus an export of the entry point. `tag` (random per run)
 * makes the module's URL unique, so a realm that ran the same text before cannot hand back its cached,
 * already-evaluated module, and no sample can guess the URL of another's module.
 */
export function solutionModuleSource(request: SandboxRequest, tag: string): string {
  return `${request.solution}\nexport { ${request.entryPoint} };\n// sample ${tag}\n`;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (byte) => byte.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A sample worker and its private port. */
class SampleWorker {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #nonce = randomHex(16);
  #pending: ((outcome: WorkerOutcome) => void) | undefined;
  #dead = false;
  /** Samples this worker has started. */
  samplesRun = 0;

  constructor(readonly reusable: boolean, outputLimitBytes: number) {
    this.#worker = new Worker(WORKER_URL, { type: "module" });
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.onmessage = (event: MessageEvent) => {
      const data = event.data as Partial<WorkerVerdict> | null;
      if (data?.nonce === this.#nonce && typeof data.status === "string") {
        const status = data.status as SandboxStatus;
        const final = FINAL_IN_SHARED_REALM.has(status) && data.frozenWrite !== true;
        this.#settle({ status, message: String(data.message ?? ""), final });
      }
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#dead = true;
      const message = `the sample's worker failed before a verdict: ${event.message}`;
      this.#settle({ status: "error", message, final: false });
    };
    const start: WorkerStart = { nonce: this.#nonce, outputLimitBytes, reusable, port: channel.port2 };
    this.#worker.postMessage(start, [channel.port2]);
  }

  /** False once the worker failed or was terminated. */
  get usable(): boolean {
    return !this.#dead;
  }

  /** Runs one sample; the worker is terminated on timeout. */
  run(request: SandboxRequest): Promise<SandboxResponse & { final: boolean }> {
    this.samplesRun++;
    const solutionUrl = moduleUrl(solutionModuleSource(request, randomHex(16)), request.dialect);
    const testUrl = moduleUrl(testModuleSource(request, solutionUrl), request.dialect);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.terminate();
        this.#settle({
          status: "timeout",
          message: `no verdict within ${request.timeoutMs} ms`,
          final: false,
        });
      }, request.timeoutMs);
      this.#pending = ({ status, message, final }) => {
        clearTimeout(timer);
        resolve({ id: request.id, status, message: truncate(message, MAX_MESSAGE_CHARS), final });
      };
      this.#port.postMessage({ solutionUrl, testUrl });
    });
  }

  /** Stops the worker. */
  terminate(): void {
    this.#dead = true;
    this.#port.close();
    this.#worker.terminate();
  }

  #settle(outcome: WorkerOutcome): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(outcome);
  }
}

/** Runs one sample in a fresh single-use worker and returns its verdict. */
export async function runInFreshWorker(
  request: SandboxRequest,
  outputLimitBytes: number,
): Promise<SandboxResponse> {
  const worker = new SampleWorker(false, outputLimitBytes);
  try {
    const { final: _, ...response } = await worker.run(request);
    return response;
  } finally {
    worker.terminate();
  }
}

/** Serves samples from reusable workers, falling back to fresh ones as the module doc describes. */
export class JsRunner {
  #warm: SampleWorker | undefined;
  #spare: SampleWorker | undefined;
  /**
   * True once a worker was terminated mid-run (a timeout): a worker stuck in a loop may keep spinning
   * after terminate(), so the process should be given up after the current answer.
   */
  stuckWorker = false;

  constructor(readonly outputLimitBytes: number) {}

  /**
   * Verifies one request. `onRetry` is called before a re-run in a fresh worker (the host then allows the
   * sample a second timeout). `reusedRealm` in the answer says whether a realm that had run an earlier
   * sample gave the verdict.
   */
  async verify(request: SandboxRequest, onRetry: () => void): Promise<SandboxResponse> {
    const worker = this.#takeWorker();
    const reusedRealm = worker.samplesRun > 0;
    const { final, ...response } = await worker.run(request);
    if (final && worker.usable) {
      if (worker.samplesRun < SAMPLES_PER_REALM) this.#warm = worker;
      else worker.terminate();
      return { ...response, reusedRealm };
    }
    worker.terminate();
    if (response.status === "timeout") this.stuckWorker = true;
    this.#spare ??= new SampleWorker(true, this.outputLimitBytes);
    onRetry();
    return { ...(await runInFreshWorker(request, this.outputLimitBytes)), reusedRealm: false };
  }

  /** Stops every worker. */
  close(): void {
    this.#warm?.terminate();
    this.#spare?.terminate();
  }

  #takeWorker(): SampleWorker {
    // A worker can die between samples (code a sample left running threw): never hand one out.
    if (this.#warm && !this.#warm.usable) this.#warm = undefined;
    if (this.#spare && !this.#spare.usable) this.#spare = undefined;
    const worker = this.#warm ?? this.#spare ?? new SampleWorker(true, this.outputLimitBytes);
    if (worker === this.#warm) this.#warm = undefined;
    else if (worker === this.#spare) this.#spare = undefined;
    // Start the replacement now, so it boots while this worker serves its remaining samples.
    if (!this.#spare && worker.samplesRun >= SAMPLES_PER_REALM / 2) {
      this.#spare = new SampleWorker(true, this.outputLimitBytes);
    }
    return worker;
  }
}

async function serve(channel: HostChannel): Promise<void> {
  const runner = new JsRunner(channel.outputLimitBytes);
  channel.send({ ready: true });
  for await (const request of channel.requests()) {
    const response = await runner.verify(request, () => channel.send({ id: request.id, retrying: true }));
    if (runner.stuckWorker || response.status === "timeout" || response.status === "out_of_memory") {
      // A worker stuck in a loop may keep spinning after terminate(), and memory a bomb took is not
      // reclaimed at once: give the process up instead.
      channel.send({ ...response, recycled: true });
      runner.close();
      Deno.exit(0);
    }
    channel.send(response);
  }
  runner.close();
}

if (import.meta.main) await serve(await openHostChannel());
