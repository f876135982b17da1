/**
 * Progress output for a running workflow: on a terminal a live line per running step (items done/total,
 * rate, ETA), redrawn in place; elsewhere plain lines, at most one every few seconds per step.
 *
 * @module
 */

/** Receives what the engine does, for display. */
export interface Reporter {
  /** A step started an attempt. */
  started(step: string, attempt: number): void;
  /** A step advanced. */
  progress(step: string, done: number, total?: number): void;
  /** A step finished (`done`, `cached`, `failed`, `interrupted`), with a short detail. */
  finished(step: string, status: string, detail?: string): void;
  /** A log line of a step. */
  log(step: string, message: string): void;
  /** Stops redrawing. */
  close(): void;
}

interface Live {
  done: number;
  total?: number;
  startedAt: number;
  startDone: number;
  lastPrinted: number;
}

/** Formats seconds as `1h02m`, `3m05s` or `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** One progress line: `step  120/500  24.0/s  ETA 15s`. */
export function progressLine(step: string, done: number, total: number | undefined, rate: number): string {
  const count = total === undefined ? `${done}` : `${done}/${total}`;
  const eta = total !== undefined && rate > 0 ? `  ETA ${formatDuration((total - done) / rate)}` : "";
  const bar = total ? ` [${"#".repeat(Math.round((20 * done) / total)).padEnd(20, ".")}]` : "";
  return `${step}${bar} ${count}  ${rate.toFixed(1)}/s${eta}`;
}

/** A {@link Reporter} writing to stderr: live lines on a terminal, plain lines otherwise. */
export class ConsoleReporter implements Reporter {
  private readonly live = new Map<string, Live>();
  private drawn = 0;
  private timer?: ReturnType<typeof setInterval>;
  private readonly encoder = new TextEncoder();

  /** `interactive` defaults to whether stderr is a terminal; `plainEveryMs` paces plain lines. */
  constructor(
    private readonly interactive = Deno.stderr.isTerminal(),
    private readonly plainEveryMs = 5000,
  ) {
    if (interactive) this.timer = setInterval(() => this.redraw(), 200);
  }

  private write(text: string): void {
    Deno.stderr.writeSync(this.encoder.encode(text));
  }

  private clear(): void {
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.clear();
    const lines = [...this.live].map(([step, l]) => progressLine(step, l.done, l.total, this.rate(l)));
    if (lines.length) this.write(lines.join("\n") + "\n");
    this.drawn = lines.length;
  }

  private rate(l: Live): number {
    const seconds = (Date.now() - l.startedAt) / 1000;
    return seconds > 0 ? (l.done - l.startDone) / seconds : 0;
  }

  private say(line: string): void {
    if (this.interactive) this.clear();
    this.write(line + "\n");
  }

  started(step: string, attempt: number): void {
    this.live.set(step, { done: 0, startedAt: Date.now(), startDone: -1, lastPrinted: Date.now() });
    this.say(`▶ ${step} started${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
  }

  progress(step: string, done: number, total?: number): void {
    const l = this.live.get(step);
    if (!l) return;
    if (l.startDone < 0) {
      l.startDone = done;
      l.startedAt = Date.now();
    }
    l.done = done;
    l.total = total;
    if (!this.interactive && Date.now() - l.lastPrinted >= this.plainEveryMs) {
      l.lastPrinted = Date.now();
      this.say(progressLine(step, done, total, this.rate(l)));
    }
  }

  finished(step: string, status: string, detail?: string): void {
    this.live.delete(step);
    const mark = status === "done" || status === "cached" ? "✔" : "✘";
    this.say(`${mark} ${step} ${status}${detail ? `: ${detail}` : ""}`);
  }

  log(step: string, message: string): void {
    this.say(`  ${step}: ${message}`);
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.interactive) this.clear();
  }
}

/** A {@link Reporter} that shows nothing (tests, embedded use). */
export class SilentReporter implements Reporter {
  started(): void {}
  progress(): void {}
  finished(): void {}
  log(): void {}
  close(): void {}
}
