/**
 * Small helpers for asynchronous code shared across the project.
 *
 * @module
 */

/**
 * Waits `ms` milliseconds, or less when `signal` aborts first (it resolves then, it does not reject).
 *
 * @example
 * ```ts
 * import { sleep } from "./async.ts";
 * await sleep(10, new AbortController().signal);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
