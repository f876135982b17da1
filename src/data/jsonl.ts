/**
 * JSON Lines files, plain or gzip-compressed (`.gz`), read with line numbers so a problem is reported as
 * `file:line`. The one JSONL reader of the project: every command, step and library reads JSONL through it.
 *
 * @example
 * ```ts
 * import { jsonlLines, readJsonl } from "./jsonl.ts";
 * const problems = await readJsonl("datasets/toy-math/test.jsonl"); // objects; throws `file:line: why`
 * for (const entry of jsonlLines('{"a": 1}\n\n{oops\n')) {
 *   // { line: 1, value: { a: 1 } }, then { line: 3, error: "malformed JSON: ..." }
 * }
 * ```
 *
 * @module
 */

/** A problem with an input file, located to the line (line 0: the whole file). One line: `FILE:LINE: what`. */
export class InputFileError extends Error {
  override name = "InputFileError";
  /** Creates the error for `file:line` (or `file` when `line` is 0). */
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}${line > 0 ? `:${line}` : ""}: ${problem}`);
  }
}

/** Reads a whole file as text, gunzipping it when its name ends in `.gz`; a missing file is an InputFileError. */
export async function readText(path: string): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file not found"
      : `cannot open: ${(error as Error).message}`;
    throw new InputFileError(path, 0, why);
  }
  const stream = path.endsWith(".gz")
    ? file.readable.pipeThrough(new DecompressionStream("gzip"))
    : file.readable;
  return await new Response(stream).text();
}

/** One non-blank line of JSONL text: its 1-based number and its value, or why it is not JSON. */
export type JsonlLine = { line: number; value: unknown; error?: never } | {
  line: number;
  error: string;
  value?: never;
};

/** The non-blank lines of JSONL text, parsed one by one (a malformed line is reported, not thrown). */
export function* jsonlLines(text: string): Generator<JsonlLine> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    try {
      yield { line: i + 1, value: JSON.parse(raw) };
    } catch (error) {
      yield { line: i + 1, error: `malformed JSON: ${(error as Error).message}` };
    }
  }
}

/** The lines of JSONL text with their numbers; throws an InputFileError at the first malformed line. */
export function parseJsonlLines(text: string, file: string): { line: number; value: unknown }[] {
  const out: { line: number; value: unknown }[] = [];
  for (const entry of jsonlLines(text)) {
    if (entry.error !== undefined) throw new InputFileError(file, entry.line, entry.error);
    out.push({ line: entry.line, value: entry.value });
  }
  return out;
}

/** Parses JSONL text; every record must be a JSON object. Blank lines are skipped. */
export function parseJsonl<T = Record<string, unknown>>(text: string, file: string): T[] {
  return parseJsonlLines(text, file).map(({ line, value }) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputFileError(file, line, "each line must be a JSON object");
    }
    return value as T;
  });
}

/** Reads a `.jsonl` or `.jsonl.gz` file of JSON objects. */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  return parseJsonl<T>(await readText(path), path);
}

/** Reads a `.jsonl` or `.jsonl.gz` file's lines with their numbers (for checks that name the line). */
export async function readJsonlLines(path: string): Promise<{ line: number; value: unknown }[]> {
  return parseJsonlLines(await readText(path), path);
}

/** Writes records as JSONL (atomically: a temporary file, then a rename). */
export async function writeJsonl(path: string, records: Iterable<unknown>): Promise<void> {
  let text = "";
  for (const record of records) text += JSON.stringify(record) + "\n";
  await Deno.writeTextFile(`${path}.tmp`, text);
  await Deno.rename(`${path}.tmp`, path);
}
