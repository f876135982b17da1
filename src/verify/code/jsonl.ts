/**
 * Reads JSON Lines files (optionally gzip-compressed) with errors that name the file and line.
 *
 * @module
 */

/** A problem with an input file, located to the line. Its message is one line: `FILE:LINE: what`. */
export class InputFileError extends Error {
  override name = "InputFileError";
  constructor(readonly path: string, readonly line: number, problem: string) {
    super(`${path}${line > 0 ? `:${line}` : ""}: ${problem}`);
  }
}

/** Reads the text of `path`, gunzipping when it ends in `.gz`. */
export async function readText(path: string): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new InputFileError(path, 0, `cannot open: ${(error as Error).message}`);
  }
  const stream = path.endsWith(".gz")
    ? file.readable.pipeThrough(new DecompressionStream("gzip"))
    : file.readable;
  return await new Response(stream).text();
}

/** One parsed line of a JSONL file. */
export interface JsonlRecord {
  /** 1-based line number in the file. */
  line: number;
  /** The parsed value. */
  value: unknown;
}

/** Parses every non-blank line of `path` as JSON. */
export async function readJsonl(path: string): Promise<JsonlRecord[]> {
  const records: JsonlRecord[] = [];
  const lines = (await readText(path)).split("\n");
  for (let index = 0; index < lines.length; index++) {
    if (lines[index].trim() === "") continue;
    try {
      records.push({ line: index + 1, value: JSON.parse(lines[index]) });
    } catch (error) {
      throw new InputFileError(path, index + 1, `malformed JSON: ${(error as Error).message}`);
    }
  }
  return records;
}
