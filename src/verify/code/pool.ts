/**
 * A pool of sandbox processes, one per core by default, that verifies many requests concurrently and
 * replaces any process that dies (timeout, memory, crash) with a fresh one; for the JS runner, whose
 * process ends after a timeout by design, one process is kept started ahead.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import type { SandboxRequest, SandboxResponse } from "../../../sandbox/protocol.ts";
import type { RunnerKind } from "./sandbox_command.ts";
import { SandboxProcess } from "./sandbox_process.ts";
import { DEFAULT_LIMITS, type SandboxLimits } from "./types.ts";

/** A request as the pool takes it (the pool numbers requests itself). */
export type PoolRequest = Omit<SandboxRequest, "id" | "timeoutMs">;

/** Options of a {@link SandboxPool}. */
export interface PoolOptions {
  /** Processes per runner kind (default: the number of cores). */
  concurrency?: number;
  /** Limits for every sample. */
  limits?: SandboxLimits;
}

/**
 * Runner kinds whose processes end after a timeout by design (the JS runner: see sandbox/js_runner.ts),
 * for which the pool keeps one process started ahead, so the next sample does not wait for a start-up.
 */
const SPARE_KINDS: ReadonlySet<RunnerKind> = new Set(["js"]);

/** Runs sandbox requests on a bounded set of reusable processes. Close it when done. */
export class SandboxPool {
  readonly concurrency: number;
  readonly limits: SandboxLimits;
  #idle = new Map<RunnerKind, SandboxProcess[]>();
  #spares = new Map<RunnerKind, Promise<SandboxProcess | undefined>>();
  #nextId = 1;
  #closed = false;

  constructor(options: PoolOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? availableParallelism());
    this.limits = options.limits ?? DEFAULT_LIMITS;
  }

  /** Verifies `requests` (all of one runner kind, at most `concurrency` at a time), keeping their order. */
  async runAll(kind: RunnerKind, requests: readonly PoolRequest[]): Promise<SandboxResponse[]> {
    const results = new Array<SandboxResponse>(requests.length);
    let next = 0;
    const lane = async () => {
      while (next < requests.length) {
        const index = next++;
        results[index] = await this.run(kind, requests[index]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, requests.length) }, lane));
    return results;
  }

  /** Verifies one request on an idle process (starting one if needed). */
  async run(kind: RunnerKind, request: PoolRequest): Promise<SandboxResponse> {
    if (this.#closed) throw new Error("SandboxPool.run: the pool is closed");
    const process = this.#idle.get(kind)?.pop() ?? await this.#takeSpare(kind) ??
      await SandboxProcess.start(kind, this.limits);
    if (SPARE_KINDS.has(kind) && !this.#spares.has(kind)) this.#startSpare(kind);
    try {
      return await process.run(request, this.#nextId++);
    } finally {
      if (process.alive && !this.#closed) this.#idleList(kind).push(process);
      else process.kill();
    }
  }

  /** Stops every idle and spare process. */
  async close(): Promise<void> {
    this.#closed = true;
    const spares = await Promise.all(this.#spares.values());
    this.#spares.clear();
    const processes = [...this.#idle.values()].flat();
    this.#idle.clear();
    for (const spare of spares) if (spare) processes.push(spare);
    await Promise.all(processes.map((process) => process.close()));
  }

  #startSpare(kind: RunnerKind): void {
    this.#spares.set(kind, SandboxProcess.start(kind, this.limits).catch(() => undefined));
  }

  async #takeSpare(kind: RunnerKind): Promise<SandboxProcess | undefined> {
    const spare = this.#spares.get(kind);
    if (!spare) return undefined;
    this.#spares.delete(kind);
    const process = await spare;
    return process?.alive ? process : undefined;
  }

  #idleList(kind: RunnerKind): SandboxProcess[] {
    let list = this.#idle.get(kind);
    if (!list) this.#idle.set(kind, list = []);
    return list;
  }
}
