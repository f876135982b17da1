/**
 * One sandbox process on the host side: spawns it in an empty temporary directory with a clean
 * environment, sends the nonce, runs one request at a time under a wall-clock deadline (killing the whole
 * process group when it passes), caps what the process may print, and reads verdicts only from lines that
 * carry the nonce.
 *
 * @module
 */
import type { SandboxReady, SandboxRequest, SandboxResponse } from "../../../sandbox/protocol.ts";
import { type RunnerKind, sandboxCommand } from "./sandbox_command.ts";
import type { SandboxLimits } from "./types.ts";

/** Bytes of non-verdict stdout plus stderr a process may write before it is killed. */
const NOISE_LIMIT_BYTES = 1 << 20;
/** How long a runner may take to (re)start its interpreter. */
const STARTUP_TIMEOUT_MS = 180_000;
/**
 * Extra time the host allows beyond the per-sample timeout before it kills the process. The runners
 * answer a timeout themselves well within it (the Python runner stops its engine 0.5 s after the
 * timeout), so a timeout costs at most the timeout plus this.
 */
const DEADLINE_GRACE_MS = 1_000;
/** What a runner's dying words look like when it ran out of memory (V8, Rust's allocator, the kernel). */
const OUT_OF_MEMORY_PATTERN =
  /out of memory|Failed to reserve|allocation failed|Reached heap limit|memory allocation of \d+ bytes failed/i;

type Message = SandboxResponse | SandboxReady;
type Event = { kind: "message"; message: Message } | { kind: "exit"; detail: string };

function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A running sandbox process. Use {@link SandboxProcess.start}, then {@link run} one request at a time. */
export class SandboxProcess {
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #events: Event[] = [];
  #wake: (() => void) | undefined;
  #stderrTail = "";
  #noiseBytes = 0;
  #alive = true;
  #tempDir: string;
  #limits: SandboxLimits;

  private constructor(child: Deno.ChildProcess, tempDir: string, limits: SandboxLimits, nonce: string) {
    this.#child = child;
    this.#tempDir = tempDir;
    this.#limits = limits;
    this.#stdin = child.stdin.getWriter();
    const stdoutDone = this.#readStdout(nonce);
    const stderrDone = this.#readStderr();
    // The exit is reported after the last stdout line, so a verdict sent just before exiting is not lost.
    Promise.all([child.status, stdoutDone.catch(() => {}), stderrDone.catch(() => {})]).then(([status]) => {
      this.#alive = false;
      this.#stdin.close().catch(() => {});
      this.#push({
        kind: "exit",
        detail: `exit code ${status.code}${status.signal ? `, signal ${status.signal}` : ""}`,
      });
      Deno.remove(tempDir, { recursive: true }).catch(() => {});
    });
  }

  /** Spawns a process of `kind` and waits until its runner is ready. */
  static async start(kind: RunnerKind, limits: SandboxLimits): Promise<SandboxProcess> {
    const tempDir = await Deno.makeTempDir({ prefix: "verify-code-" });
    const workDir = `${tempDir}/cwd`;
    await Deno.mkdir(workDir);
    const { command, args } = sandboxCommand(kind, limits);
    const child = new Deno.Command(command, {
      args,
      cwd: workDir,
      clearEnv: true,
      env: { DENO_DIR: `${tempDir}/deno`, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const nonce = newNonce();
    const process = new SandboxProcess(child, tempDir, limits, nonce);
    await process.#write({ nonce, outputLimitBytes: limits.outputBytes });
    await process.#awaitReady();
    return process;
  }

  /** The process id (a new process means a new id; tests use it to show two samples shared one). */
  get pid(): number {
    return this.#child.pid;
  }

  /** True until the process exits or is killed. */
  get alive(): boolean {
    return this.#alive;
  }

  /** Runs one request and returns its verdict; the process may be dead afterwards (see {@link alive}). */
  async run(request: Omit<SandboxRequest, "id" | "timeoutMs">, id: number): Promise<SandboxResponse> {
    const timeoutMs = Math.round(this.#limits.timeoutSeconds * 1000);
    await this.#write({ ...request, id, timeoutMs });
    const forThisRequest = (message: Message) => "id" in message && message.id === id;
    const event = await this.#next(timeoutMs + DEADLINE_GRACE_MS, forThisRequest);
    if (event === "deadline") {
      this.kill();
      return { id, status: "timeout", message: `no verdict within ${this.#limits.timeoutSeconds} s` };
    }
    if (event.kind === "exit") return { id, ...this.#describeExit(event.detail) };
    const response = event.message as SandboxResponse;
    if (response.recycled) await this.#awaitReady().catch(() => this.kill());
    return response;
  }

  /** Kills the whole process group. */
  kill(): void {
    if (!this.#alive) return;
    this.#alive = false;
    try {
      Deno.kill(-this.#child.pid, "SIGKILL");
    } catch {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }

  /** Closes stdin and waits for the process to end (killing it if it lingers). */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => this.kill(), 5_000);
    await this.#child.status;
    clearTimeout(timer);
    await Deno.remove(this.#tempDir, { recursive: true }).catch(() => {});
  }

  #describeExit(detail: string): Pick<SandboxResponse, "status" | "message"> {
    const tail = this.#stderrTail.trim().split("\n").filter((line) => !/^\s+deno\(/.test(line)).slice(-3)
      .join(" | ");
    if (OUT_OF_MEMORY_PATTERN.test(this.#stderrTail)) {
      return { status: "out_of_memory", message: `the sandbox ran out of memory (${detail})` };
    }
    if (this.#noiseBytes > NOISE_LIMIT_BYTES) {
      return { status: "output_limit", message: `the sandbox wrote more than ${NOISE_LIMIT_BYTES} bytes` };
    }
    return {
      status: "error",
      message: `the sandbox exited before a verdict (${detail}): ${tail.slice(0, 300)}`,
    };
  }

  async #awaitReady(): Promise<void> {
    const event = await this.#next(STARTUP_TIMEOUT_MS, (message) => "ready" in message);
    if (event === "deadline" || event.kind === "exit") {
      this.kill();
      const why = event === "deadline" ? "timed out" : this.#describeExit(event.detail).message;
      throw new Error(`sandbox runner failed to start: ${why}`);
    }
  }

  async #write(value: unknown): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(JSON.stringify(value) + "\n"));
  }

  #push(event: Event): void {
    this.#events.push(event);
    this.#wake?.();
  }

  /** Waits for an exit or a message that `wanted` accepts; other messages are dropped. */
  async #next(timeoutMs: number, wanted: (message: Message) => boolean): Promise<Event | "deadline"> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const event = this.#events.shift();
      if (event?.kind === "exit") {
        this.#events.unshift(event);
        return event;
      }
      if (event) {
        if (wanted(event.message)) return event;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) return "deadline";
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  #countNoise(bytes: number): void {
    this.#noiseBytes += bytes;
    if (this.#noiseBytes > NOISE_LIMIT_BYTES) this.kill();
  }

  async #readStdout(nonce: string): Promise<void> {
    const prefix = nonce + " ";
    let pending = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let newline = pending.indexOf("\n");
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith(prefix)) {
          this.#push({ kind: "message", message: JSON.parse(line.slice(prefix.length)) });
        } else this.#countNoise(line.length + 1);
        newline = pending.indexOf("\n");
      }
      if (pending.length > 64 * 1024 * 1024) {
        this.#countNoise(pending.length);
        pending = "";
      }
    }
  }

  async #readStderr(): Promise<void> {
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#countNoise(chunk.length);
      this.#stderrTail = (this.#stderrTail + chunk).slice(-8192);
    }
  }
}
