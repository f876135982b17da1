/**
 * Helpers for the sandbox's tests: a session on one sandbox process that shows which process answered,
 * and a listener that counts connections a sample should never make.
 *
 * @module
 */
import assert from "node:assert/strict";
import { buildRequest } from "./formats.ts";
import type { RunnerKind } from "./sandbox_command.ts";
import { SandboxProcess } from "./sandbox_process.ts";
import { toVerdict } from "./verifier.ts";
import {
  type CodeProblem,
  type CodeVerdict,
  DEFAULT_LIMITS,
  type SandboxLimits,
  type SandboxStatus,
} from "./types.ts";

/** A verdict and the process that gave it. */
export type SessionVerdict = CodeVerdict & { pid: number };

/**
 * Runs samples one after another on one sandbox process (a new one only when the last one died), so a
 * test can run a hostile sample and then honest ones exactly where the hostile one ran.
 */
export class SandboxSession {
  #process: SandboxProcess | undefined;
  #nextId = 1;

  constructor(readonly kind: RunnerKind, readonly limits: SandboxLimits = DEFAULT_LIMITS) {}

  /** Verifies one completion. */
  async verify(problem: CodeProblem, completion: string): Promise<SessionVerdict> {
    if (!this.#process?.alive) this.#process = await SandboxProcess.start(this.kind, this.limits);
    const process = this.#process;
    const response = await process.run(buildRequest(problem, completion), this.#nextId++);
    return { ...toVerdict(response), pid: process.pid };
  }

  /** Verifies `completion` and checks that its status is one of `statuses` (and matches `pattern`). */
  async expect(
    problem: CodeProblem,
    completion: string,
    statuses: SandboxStatus[],
    pattern?: RegExp,
  ): Promise<SessionVerdict> {
    const verdict = await this.verify(problem, completion);
    assert.ok(statuses.includes(verdict.status), `expected ${statuses.join("|")}, got ${verdict.result}`);
    if (pattern) assert.match(verdict.message, pattern);
    return verdict;
  }

  /**
   * Runs `hostile`, checks its verdict, then checks that a right and a wrong solution still get `passed`
   * and `failed` on the same process (the same process id, unless `sameProcess` is false because the
   * runner replaces its process after such a sample by design).
   */
  async contained(
    problem: CodeProblem,
    hostile: string,
    statuses: SandboxStatus[],
    honest: { right: string; wrong: string; pattern?: RegExp; sameProcess?: boolean },
  ): Promise<void> {
    const first = await this.expect(problem, hostile, statuses, honest.pattern);
    const right = await this.expect(problem, honest.right, ["passed"]);
    const wrong = await this.expect(problem, honest.wrong, ["failed"]);
    if (honest.sameProcess !== false) {
      assert.equal(right.pid, first.pid, "the honest sample should have run on the hostile one's process");
    }
    assert.equal(wrong.pid, right.pid);
  }

  /** Kills the process at once (for an `unload` handler). */
  kill(): void {
    this.#process?.kill();
  }

  /** Stops the process. */
  async close(): Promise<void> {
    this.#process?.kill();
    await this.#process?.close();
    this.#process = undefined;
  }
}

/** A TCP listener on a free loopback port that counts the connections it accepts. */
export interface CountingListener {
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

/** Listens on 127.0.0.1 so a test can check that a sample never reached the host's network. */
export function countingListener(): CountingListener {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let accepted = 0;
  (async () => {
    for await (const connection of listener) {
      accepted++;
      connection.close();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections: () => accepted,
    close: () => listener.close(),
  };
}

/** `add(a, b)` in Python with two asserts: the honest answer is `a + b`. */
export function pythonAddProblem(taskId: string): CodeProblem {
  return {
    taskId,
    language: "python",
    prompt: "def add(a, b):\n",
    test: "def check(candidate):\n    assert candidate(2, 3) == 5\n    assert candidate(-1, 1) == 0\n",
    entryPoint: "add",
    testFunction: "check",
    stopTokens: [],
  };
}

/** What a hostile-sample test plants on the host: a secret in a file and in an environment variable. */
export interface HostSecret {
  /** The secret text (also in `VERIFY_CODE_SECRET`). */
  secret: string;
  /** A host file holding the secret, removed when the test process unloads. */
  hostFile: string;
  /** A path no sample may create. */
  forbiddenPath: string;
}

/**
 * Writes `<secretPrefix><uuid>` into a new temporary file and into `VERIFY_CODE_SECRET`, for samples that try
 * to read the host's files or environment.
 *
 * ```ts ignore
 * const { secret, hostFile } = await plantHostSecret("secret-");
 * ```
 */
export async function plantHostSecret(secretPrefix: string): Promise<HostSecret> {
  const secret = secretPrefix + crypto.randomUUID();
  Deno.env.set("VERIFY_CODE_SECRET", secret);
  const hostFile = await Deno.makeTempFile({ prefix: "verify-code-host-" });
  await Deno.writeTextFile(hostFile, secret);
  globalThis.addEventListener("unload", () => Deno.removeSync(hostFile));
  return { secret, hostFile, forbiddenPath: `${hostFile}.written-by-sample` };
}
