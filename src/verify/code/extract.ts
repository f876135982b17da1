/**
 * Turns a model's free-form response into the solution source the sandbox runs.
 *
 * The rule, in order:
 * 1. Markdown fences: when the response holds fenced blocks (```` ``` ```` or ```` ```python ````, an
 *    unclosed last fence runs to the end), the code is the first block that defines the entry point, or
 *    else the first block. Without fences the code is the whole response.
 * 2. A full definition: when the code defines the entry point at the top level (Python `def NAME(`,
 *    `async def NAME(`; JS/TS `function NAME`, `export function NAME`, `const NAME =`, ...), it is run as a
 *    whole program. For Python it follows the prompt (whose imports and helper functions it may use), with
 *    the prompt's unfinished last function closed by a `pass` body; for JS/TS it replaces the prompt.
 * 3. Otherwise the code is a completion: it is appended to the prompt, as human-eval does, after cutting
 *    it at the problem's stop tokens.
 *
 * @module
 */
import { applyStopTokens } from "./formats.ts";
import type { CodeProblem } from "./types.ts";

/** The solution to run and how it was read. */
export interface ExtractedSolution {
  /** The code taken from the response (a completion or a full program). */
  code: string;
  /** Whether `code` completes the prompt or defines the entry point itself. */
  kind: "completion" | "full_program";
  /** The full solution source for the sandbox (prompt included where the rule says so). */
  solution: string;
}

const FENCE = /^[ \t]*```[^\n`]*\n([\s\S]*?)(?:^[ \t]*```[ \t]*$|(?![\s\S]))/gm;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A pattern matching a top-level definition of `name` in the problem's language. */
function definitionPattern(problem: CodeProblem): RegExp {
  const name = escapeRegExp(problem.entryPoint);
  if (problem.language === "python") return new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${name}[ \\t]*\\(`, "m");
  return new RegExp(
    `^(?:export[ \\t]+)?(?:(?:async[ \\t]+)?function\\*?[ \\t]*${name}\\b|(?:const|let|var)[ \\t]+${name}\\b)`,
    "m",
  );
}

/** The fenced blocks of `response`, in order. */
export function fencedBlocks(response: string): string[] {
  return [...response.matchAll(FENCE)].map((match) => match[1]);
}

/** The prompt with its last (signature-and-docstring only) function given a `pass` body. */
function closedPythonPrompt(prompt: string): string {
  const lines = prompt.replace(/\s+$/, "").split("\n");
  const last = lines.at(-1) ?? "";
  const indent = /^[ \t]*/.exec(last)?.[0] ?? "";
  // After a `def ...:` line the body is indented one level deeper; after a docstring line, at its level.
  const bodyIndent = /:\s*(#.*)?$/.test(last) ? indent + "    " : indent;
  return `${lines.join("\n")}\n${bodyIndent}pass\n\n`;
}

/** Reads the solution out of `response` by the rule in the module doc. */
export function extractSolution(problem: CodeProblem, response: string): ExtractedSolution {
  const defines = definitionPattern(problem);
  const blocks = fencedBlocks(response);
  const code = blocks.length === 0 ? response : blocks.find((block) => defines.test(block)) ?? blocks[0];
  if (defines.test(code)) {
    const solution = problem.language === "python" ? closedPythonPrompt(problem.prompt) + code : code;
    return { code, kind: "full_program", solution };
  }
  const completion = applyStopTokens(code, problem.stopTokens);
  return { code: completion, kind: "completion", solution: problem.prompt + completion };
}
