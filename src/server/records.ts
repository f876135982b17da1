import { InputFileError, jsonlLines } from "../data/jsonl.ts";
import { concatBytes } from "../util/bytes.ts";
/**
 * Paged reading of a `records` output (a JSONL file), streamed so a large file is never loaded whole, and
 * cut at a byte limit so a running step's uncommitted tail is never shown.
 *
 * @module
 */

/** One page of JSONL records. */
export interface JsonlPage {
  records: unknown[];
  /** Records before `maxBytes`. */
  total: number;
}

/**
 * Reads records `offset .. offset+limit` of the JSONL file at `path`, looking only at its first `maxBytes`
 * bytes (all of it when undefined). Counts every complete line to report the total.
 */
export async function readJsonlPage(
  path: string,
  offset: number,
  limit: number,
  maxBytes?: number,
): Promise<JsonlPage> {
  using file = await Deno.open(path, { read: true });
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(1 << 16);
  const records: unknown[] = [];
  let line = 0;
  let partial: Uint8Array[] = [];
  let remaining = maxBytes ?? Infinity;
  const take = (bytes: Uint8Array) => {
    if (line >= offset && line < offset + limit) {
      const text = decoder.decode(partial.length ? concatBytes([...partial, bytes]) : bytes);
      records.push(parseLine(text, path, line));
    }
    partial = [];
    line++;
  };
  while (remaining > 0) {
    const n = await file.read(buffer.subarray(0, Math.min(buffer.length, remaining)));
    if (n === null) break;
    remaining -= n;
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (buffer[i] !== 10) continue;
      take(buffer.subarray(start, i));
      start = i + 1;
    }
    if (start < n && line >= offset && line < offset + limit) partial.push(buffer.slice(start, n));
  }
  return { records, total: line };
}

function parseLine(text: string, path: string, line: number): unknown {
  for (const entry of jsonlLines(text)) {
    if (entry.error !== undefined) throw new InputFileError(path, line + 1, entry.error);
    return entry.value;
  }
  return null;
}
