/**
 * JSON Lines files, plain or gzip-compressed (`.gz`), read with line numbers so a malformed line is
 * reported as `file:line`.
 *
 * @module
 */

/** A malformed line in a JSONL file. */
export class JsonlError extends Error {
  /** Creates the error for `file:line`. */
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`${file}:${line}: ${problem}`);
    this.name = "JsonlError";
  }
}

/** Reads a whole file as text, gunzipping it when its name ends in `.gz`. */
export async function readText(path: string): Promise<string> {
  if (!path.endsWith(".gz")) return await Deno.readTextFile(path);
  using file = await Deno.open(path);
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip")).pipeThrough(
    new TextDecoderStream(),
  );
  let text = "";
  for await (const chunk of stream) text += chunk;
  return text;
}

/** Parses JSONL text; every record must be a JSON object. Blank lines are skipped. */
export function parseJsonl<T = Record<string, unknown>>(text: string, file: string): T[] {
  const records: T[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].trim();
    if (raw === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new JsonlError(file, i + 1, `malformed JSON: ${(error as Error).message}`);
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new JsonlError(file, i + 1, "each line must be a JSON object");
    }
    records.push(value as T);
  }
  return records;
}

/** Reads a `.jsonl` or `.jsonl.gz` file of JSON objects. */
export async function readJsonl<T = Record<string, unknown>>(path: string): Promise<T[]> {
  return parseJsonl<T>(await readText(path), path);
}

/** Writes records as JSONL (atomically: a temporary file, then a rename). */
export async function writeJsonl(path: string, records: Iterable<unknown>): Promise<void> {
  let text = "";
  for (const record of records) text += JSON.stringify(record) + "\n";
  await Deno.writeTextFile(`${path}.tmp`, text);
  await Deno.rename(`${path}.tmp`, path);
}
