/**
 * Trusted runner for JavaScript and TypeScript samples: the entry module of a `deno run` with no
 * permissions at all. Each sample runs in a Web Worker of its own (a fresh realm, so nothing carries over
 * from one sample to the next), created from a data: URL holding {@link sampleWorkerMain}. The runner
 * enforces the per-sample timeout by terminating the worker; the host's hard timeout and memory limit
 * cover the whole process.
 *
 * @module
 */
import { type HostChannel, openHostChannel, truncate } from "./channel.ts";
import { sampleWorkerMain, type WorkerStart } from "./js_sample_worker.ts";
import { MAX_MESSAGE_CHARS, type SandboxRequest, type SandboxResponse, type SandboxStatus } from "./protocol.ts";

const WORKER_URL = "data:text/javascript," + encodeURIComponent(`(${String(sampleWorkerMain)})();`);

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

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Runs one sample in a fresh worker and returns its verdict. */
export function runInWorker(request: SandboxRequest, outputLimitBytes: number): Promise<SandboxResponse> {
  const nonce = newNonce();
  const solutionUrl = moduleUrl(solutionModuleSource(request), request.dialect);
  const start: WorkerStart = {
    nonce,
    solutionUrl,
    testUrl: moduleUrl(testModuleSource(request, solutionUrl), request.dialect),
    outputLimitBytes,
  };
  const worker = new Worker(WORKER_URL, { type: "module" });
  return new Promise<SandboxResponse>((resolve) => {
    const finish = (status: SandboxStatus, message: string) => {
      clearTimeout(timer);
      worker.terminate();
      resolve({ id: request.id, status, message: truncate(message, MAX_MESSAGE_CHARS) });
    };
    const timer = setTimeout(() => finish("timeout", `no verdict within ${request.timeoutMs} ms`), request.timeoutMs);
    worker.onmessage = (event: MessageEvent) => {
      const data = event.data as { nonce?: unknown; status?: SandboxStatus; message?: string };
      if (data?.nonce === nonce && typeof data.status === "string") finish(data.status, String(data.message ?? ""));
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      finish("error", `the sample's worker failed before a verdict: ${event.message}`);
    };
    worker.postMessage(start);
  });
}

async function serve(channel: HostChannel): Promise<void> {
  channel.send({ ready: true });
  for await (const request of channel.requests()) {
    channel.send(await runInWorker(request, channel.outputLimitBytes));
  }
}

if (import.meta.main) await serve(await openHostChannel());
