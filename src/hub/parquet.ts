/**
 * Reads parquet files (as the Hub stores most datasets) into plain rows with hyparquet, a maintained
 * dependency-free parquet reader. 64-bit integers become numbers when they fit, so rows can be JSON.
 *
 * @module
 */
import { parquetReadObjects } from "hyparquet";

/** A parquet file that could not be read: the message names it. */
export class ParquetError extends Error {
  override name = "ParquetError";
}

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : String(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}

/** Every row of a parquet file as an object keyed by column name. */
export async function readParquetRows(path: string): Promise<Record<string, unknown>[]> {
  const bytes = await Deno.readFile(path);
  try {
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    return rows.map((row) => plain(row) as Record<string, unknown>);
  } catch (error) {
    throw new ParquetError(`${path}: not a readable parquet file (${(error as Error).message})`);
  }
}
