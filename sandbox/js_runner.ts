/**
 * Trusted runner for JavaScript and TypeScript samples: the entry module of a `deno run` with no
 * permissions at all. Every sample runs in a Web Worker of its own, created from a data: URL holding
 * {@link sampleWorkerMain} and terminated as soon as its verdict arrives or its time is up, so whatever
 * the sample left running (timers, promises, finalizers) ends with it and no realm ever serves two samples
 * (see js_sample_worker.ts for what holds inside the realm).
 *
 * A worker takes a few milliseconds to start, so the runner keeps one {@link SPARE_WORKERS} worker started
 * and locked down ahead of the next request. Every verdict is final: a timeout terminates the worker and
 * is answered at once, with no re-run. After a timeout or running out of memory the process ends (the
 * host starts another), because a worker terminated in the middle of an allocation can still bring
 * V8's fatal heap limit down on the whole process a moment later.
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

/** Workers kept started ahead of the next sample. */
export const SPARE_WORKERS = 1;

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

/** The solution module: the solution text plus an export of the entry point. */
export function solutionModuleSource(request: SandboxRequest): string {
  return `${request.solution}\nexport { ${request.entryPoint} };\n`;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (byte) => byte.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A single-use sample worker and its private port. */
class SampleWorker {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #nonce = randomHex(16);
  #pending: ((verdict: { status: SandboxStatus; message: string }) => void) | undefined;

  constructor(outputLimitBytes: number) {
    this.#worker = new Worker(WORKER_URL, { type: "module" });
    const channel = new MessageChannel();
    this.#port = channel.port1;
    this.#port.onmessage = (event: MessageEvent) => {
      const data = event.data as Partial<WorkerVerdict> | null;
      if (data?.nonce === this.#nonce && typeof data.status === "string") {
        this.#settle({ status: data.status as SandboxStatus, message: String(data.message ?? "") });
      }
    };
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const outOfMemory = /out of memory|allocation failed/i.test(event.message);
      this.#settle({
        status: outOfMemory ? "out_of_memory" : "error",
        message: `the sample's worker failed before a verdict: ${event.message}`,
      });
    };
    const start: WorkerStart = { nonce: this.#nonce, outputLimitBytes, port: channel.port2 };
    this.#worker.postMessage(start, [channel.port2]);
  }

  /** Runs the sample; the worker is terminated when the verdict arrives or the time is up. */
  run(request: SandboxRequest): Promise<SandboxResponse> {
    const solutionUrl = moduleUrl(solutionModuleSource(request), request.dialect);
    const testUrl = moduleUrl(testModuleSource(request, solutionUrl), request.dialect);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#settle({ status: "timeout", message: `no verdict within ${request.timeoutMs} ms` });
      }, request.timeoutMs);
      this.#pending = ({ status, message }) => {
        clearTimeout(timer);
        this.terminate();
        resolve({ id: request.id, status, message: truncate(message, MAX_MESSAGE_CHARS) });
      };
      this.#port.postMessage({ solutionUrl, testUrl });
    });
  }

  /** Stops the worker and everything the sample left running in it. */
  terminate(): void {
    this.#port.close();
    this.#worker.terminate();
  }

  #settle(verdict: { status: SandboxStatus; message: string }): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.(verdict);
  }
}

/** Hands out fresh workers, keeping {@link SPARE_WORKERS} started ahead. */
export class JsRunner {
  readonly #spares: SampleWorker[] = [];

  constructor(readonly outputLimitBytes: number) {
    this.#refill();
  }

  /** Verifies one request in a fresh worker. */
  verify(request: SandboxRequest): Promise<SandboxResponse> {
    const worker = this.#spares.shift() ?? new SampleWorker(this.outputLimitBytes);
    this.#refill();
    return worker.run(request);
  }

  /** Stops the spare workers. */
  close(): void {
    for (const worker of this.#spares.splice(0)) worker.terminate();
  }

  #refill(): void {
    while (this.#spares.length < SPARE_WORKERS) this.#spares.push(new SampleWorker(this.outputLimitBytes));
  }
}

async function serve(channel: HostChannel): Promise<void> {
  const runner = new JsRunner(channel.outputLimitBytes);
  channel.send({ ready: true });
  for await (const request of channel.requests()) {
    const response = await runner.verify(request);
    if (response.status === "timeout" || response.status === "out_of_memory") {
      // A worker terminated mid-allocation can still take the process down later (V8's heap limit is
      // fatal): end the process now, so that no later sample can be charged for it.
      channel.send({ ...response, recycled: true });
      runner.close();
      Deno.exit(0);
    }
    channel.send(response);
  }
  runner.close();
}

if (import.meta.main) await serve(await openHostChannel());
