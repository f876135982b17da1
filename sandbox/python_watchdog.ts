/**
 * A watchdog thread that stops a runaway Python sample without restarting the process.
 *
 * Pyodide runs the sample synchronously on the runner's main thread, so the main thread cannot notice
 * that a sample has run too long. The watchdog is a Web Worker sharing two buffers with it: Pyodide's
 * interrupt buffer (writing 2, SIGINT, makes Python raise `KeyboardInterrupt` at its next check) and a
 * small control array. {@link Watchdog.arm} starts a countdown for one sample; if {@link Watchdog.disarm}
 * does not come first, the watchdog raises the interrupt, and raises it again every
 * {@link REPEAT_INTERRUPT_MS} ms for as long as the sample keeps running (a sample may catch one
 * `KeyboardInterrupt`, but it cannot stop the next). A sample that never returns to the interpreter loop
 * (one long C-level call) is still ended by the host's wall-clock kill.
 *
 * Control array: [0] the armed sample's generation (0 when disarmed), [1] 1 while the watchdog handles an
 * arm, [2] the generation of the last sample it interrupted.
 *
 * @module
 */

/** How often the watchdog repeats the interrupt while a timed-out sample is still running. */
export const REPEAT_INTERRUPT_MS = 250;
/** Longest wait for the watchdog to acknowledge a disarm before giving up on it. */
const ACKNOWLEDGE_TIMEOUT_MS = 2_000;

const ARMED = 0;
const BUSY = 1;
const FIRED = 2;

/** Body of the watchdog worker, shipped as source text: it may not refer to anything outside itself. */
function watchdogMain(): void {
  const scope = globalThis as unknown as {
    onmessage: ((event: MessageEvent) => void) | null;
  };
  scope.onmessage = (
    first: MessageEvent<{ control: Int32Array; interrupt: Uint8Array; repeatMs: number }>,
  ) => {
    const { control, interrupt, repeatMs } = first.data;
    scope.onmessage = (event: MessageEvent<{ generation: number; timeoutMs: number }>) => {
      const { generation, timeoutMs } = event.data;
      if (Atomics.wait(control, 0, generation, timeoutMs) === "timed-out") {
        Atomics.store(control, 2, generation);
        do Atomics.store(interrupt, 0, 2); while (
          Atomics.wait(control, 0, generation, repeatMs) === "timed-out"
        );
      }
      Atomics.store(control, 1, 0);
      Atomics.notify(control, 1);
    };
  };
}

const WATCHDOG_URL = "data:text/javascript," + encodeURIComponent(`(${String(watchdogMain)})();`);

/**
 * How a sample ended: on its own, interrupted by the watchdog, or unknown because the watchdog did not
 * answer (it may still write the interrupt buffer, so the interpreter must not be used again).
 */
export type WatchdogOutcome = "finished" | "interrupted" | "unresponsive";

/** The main thread's handle on the watchdog thread. */
export class Watchdog {
  readonly #worker: Worker;
  readonly #control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  readonly #interrupt: Uint8Array;
  #generation = 0;

  /** Starts the watchdog thread; `interrupt` is the buffer passed to Pyodide's `setInterruptBuffer`. */
  constructor(interrupt: Uint8Array) {
    this.#interrupt = interrupt;
    this.#worker = new Worker(WATCHDOG_URL, { type: "module" });
    this.#worker.postMessage({ control: this.#control, interrupt, repeatMs: REPEAT_INTERRUPT_MS });
  }

  /** Starts the countdown for one sample. */
  arm(timeoutMs: number): void {
    this.#generation = (this.#generation % 0x3fffffff) + 1;
    Atomics.store(this.#control, FIRED, 0);
    Atomics.store(this.#control, BUSY, 1);
    Atomics.store(this.#control, ARMED, this.#generation);
    this.#worker.postMessage({ generation: this.#generation, timeoutMs });
  }

  /**
   * Stops the countdown, waits until the watchdog has let go of the interrupt buffer, clears it, and
   * says whether the sample was interrupted for running out of time.
   */
  disarm(): WatchdogOutcome {
    Atomics.store(this.#control, ARMED, 0);
    Atomics.notify(this.#control, ARMED);
    if (Atomics.wait(this.#control, BUSY, 1, ACKNOWLEDGE_TIMEOUT_MS) === "timed-out") return "unresponsive";
    Atomics.store(this.#interrupt, 0, 0);
    return Atomics.load(this.#control, FIRED) === this.#generation ? "interrupted" : "finished";
  }

  /** Stops the watchdog thread. */
  close(): void {
    this.#worker.terminate();
  }
}
