/**
 * Loads MATH problems: the original layout (`split/subject/N.json` with problem, level, type, solution) and
 * JSONL files such as MATH500 (with `answer`). The gold answer is `answer` when present, else the last
 * `\boxed{}` of the solution.
 *
 * @module
 */
import { join, relative } from "node:path";
import { InputFileError, parseJsonlLines, readText } from "../../data/jsonl.ts";
import { lastBoxed } from "./extract.ts";

/** One MATH problem with its gold answer. */
export interface MathProblem {
  /** A stable id: `unique_id` when given, else the file path relative to the dataset root. */
  id: string;
  problem: string;
  solution: string;
  /** The gold answer (null when neither `answer` nor a `\boxed{}` in the solution exists). */
  answer: string | null;
  subject: string;
  level: number | null;
}

/** The gold answer of a raw record: its `answer`, else the last `\boxed{}` of its `solution`. */
export function goldAnswer(record: { answer?: unknown; solution?: unknown }): string | null {
  if (typeof record.answer === "string" && record.answer.trim() !== "") return record.answer;
  return typeof record.solution === "string" ? lastBoxed(record.solution) : null;
}

/** Reads "Level 5", 5 or "5" as 5; null otherwise. */
function levelOf(value: unknown): number | null {
  const match = /\d+/.exec(String(value ?? ""));
  return match ? Number(match[0]) : null;
}

/** Turns one raw MATH record (JSONL line or JSON file) into a {@link MathProblem}. */
export function toMathProblem(record: Record<string, unknown>, fallbackId: string): MathProblem {
  const text = (key: string) => typeof record[key] === "string" ? record[key] as string : "";
  return {
    id: text("unique_id") || fallbackId,
    problem: text("problem"),
    solution: text("solution"),
    answer: goldAnswer(record),
    subject: text("subject") || text("type"),
    level: levelOf(record.level),
  };
}

/** Parses MATH JSONL text; throws with the line number on a malformed line. */
export function parseMathJsonl(text: string, source = "<jsonl>"): MathProblem[] {
  return parseJsonlLines(text, source).map(({ line, value }) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputFileError(source, line, "expected a JSON object with problem and solution");
    }
    return toMathProblem(value as Record<string, unknown>, `${source}:${line}`);
  });
}

/** Loads a MATH JSONL file (MATH500 or a converted split). */
export async function loadMathJsonl(path: string): Promise<MathProblem[]> {
  return parseMathJsonl(await readText(path), path);
}

/** Loads the original layout: every `subject/N.json` under `splitDir`, sorted by subject then number. */
export async function loadMathDirectory(splitDir: string): Promise<MathProblem[]> {
  const files: string[] = [];
  for await (const subject of Deno.readDir(splitDir)) {
    if (!subject.isDirectory) continue;
    for await (const entry of Deno.readDir(join(splitDir, subject.name))) {
      if (entry.isFile && entry.name.endsWith(".json")) files.push(join(splitDir, subject.name, entry.name));
    }
  }
  files.sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const root = join(splitDir, "..");
  return await Promise.all(files.map(async (file) => {
    const record = JSON.parse(await Deno.readTextFile(file)) as Record<string, unknown>;
    return toMathProblem(record, relative(root, file));
  }));
}
