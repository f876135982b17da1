/**
 * Download progress on stderr: on a terminal one bar redrawn in place (`[#####.....] 41.2 MB / 98.8 MB
 * 12.5 MB/s ETA 5s model.safetensors`); elsewhere a plain line when a file starts, every few seconds, and
 * when it ends.
 *
 * @module
 */

/** Receives a download's progress. */
export interface DownloadProgress {
  /** A file starts; `resumedAt` bytes are already on disk; `total` is its size when known. */
  start(file: string, total: number | undefined, resumedAt: number): void;
  /** `done` bytes of the current file are on disk. */
  advance(done: number): void;
  /** The current file is complete. */
  finish(): void;
  /** A file needed no download (`reason`, for example "cached"). */
  skipped(file: string, reason: string): void;
}

/** Formats a byte count: `512 B`, `3.4 kB`, `98.8 MB`, `1.20 GB` (decimal units, as the Hub shows). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

/** One progress line. */
export function progressText(file: string, done: number, total: number | undefined, bytesPerSecond: number) {
  const size = total === undefined ? formatBytes(done) : `${formatBytes(done)} / ${formatBytes(total)}`;
  const bar = total ? `[${"#".repeat(Math.round((20 * done) / total)).padEnd(20, ".")}] ` : "";
  const speed = bytesPerSecond > 0 ? `  ${formatBytes(bytesPerSecond)}/s` : "";
  const left = total !== undefined && bytesPerSecond > 0 ? (total - done) / bytesPerSecond : undefined;
  const eta = left === undefined ? "" : `  ETA ${Math.ceil(left)}s`;
  return `${bar}${size}${speed}${eta}  ${file}`;
}

/** A {@link DownloadProgress} writing to stderr. */
export class ConsoleProgress implements DownloadProgress {
  private file = "";
  private total: number | undefined;
  private done = 0;
  private startedAt = 0;
  private startBytes = 0;
  private lastDrawn = 0;
  private readonly encoder = new TextEncoder();

  /** `interactive` defaults to whether stderr is a terminal; plain lines come at most every `plainEveryMs`. */
  constructor(
    private readonly interactive = Deno.stderr.isTerminal(),
    private readonly plainEveryMs = 5000,
  ) {}

  private write(text: string): void {
    Deno.stderr.writeSync(this.encoder.encode(text));
  }

  private rate(): number {
    const seconds = (Date.now() - this.startedAt) / 1000;
    return seconds > 0.2 ? (this.done - this.startBytes) / seconds : 0;
  }

  private line(): string {
    return progressText(this.file, this.done, this.total, this.rate());
  }

  start(file: string, total: number | undefined, resumedAt: number): void {
    Object.assign(this, { file, total, done: resumedAt, startBytes: resumedAt, startedAt: Date.now() });
    this.lastDrawn = Date.now();
    const resumed = resumedAt > 0 ? ` (resuming at ${formatBytes(resumedAt)})` : "";
    if (!this.interactive) {
      this.write(`downloading ${file}${total ? ` (${formatBytes(total)})` : ""}${resumed}\n`);
    }
  }

  advance(done: number): void {
    this.done = done;
    const now = Date.now();
    if (this.interactive && now - this.lastDrawn >= 100) {
      this.lastDrawn = now;
      this.write(`\r\x1b[K${this.line()}`);
    } else if (!this.interactive && now - this.lastDrawn >= this.plainEveryMs) {
      this.lastDrawn = now;
      this.write(`${this.line()}\n`);
    }
  }

  finish(): void {
    this.write(this.interactive ? `\r\x1b[K${this.line()}\n` : `${this.line()}\n`);
  }

  skipped(file: string, reason: string): void {
    this.write(`${reason}  ${file}\n`);
  }
}

/** A {@link DownloadProgress} that shows nothing. */
export class SilentProgress implements DownloadProgress {
  start(): void {}
  advance(): void {}
  finish(): void {}
  skipped(): void {}
}
