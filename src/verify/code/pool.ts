/**
 * A pool of sandbox processes, one per core by default, that verifies many requests concurrently and
 * replaces any process that dies (timeout, memory, crash) with a fresh one.
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

/** Runs sandbox requests on a bounded set of reusable processes. Close it when done. */
export class SandboxPool {
  readonly concurrency: number;
  readonly limits: SandboxLimits;
  #idle = new Map<RunnerKind, SandboxProcess[]>();
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
    const process = this.#idle.get(kind)?.pop() ?? await SandboxProcess.start(kind, this.limits);
    try {
      return await process.run(request, this.#nextId++);
    } finally {
      if (process.alive && !this.#closed) this.#idleList(kind).push(process);
      else process.kill();
    }
  }

  /** Stops every idle process. */
  async close(): Promise<void> {
    this.#closed = true;
    const processes = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(processes.map((process) => process.close()));
  }

  #idleList(kind: RunnerKind): SandboxProcess[] {
    let list = this.#idle.get(kind);
    if (!list) this.#idle.set(kind, list = []);
    return list;
  }
}
