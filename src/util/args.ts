/**
 * Command-line flags for the per-area CLIs: `node:util`'s `parseArgs`, with a bad flag turned into a
 * {@link UsageError} (exit code 2) or reported with the command's usage line.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/**
 * Bad command-line arguments: the command exits with code 2.
 *
 * ```ts
 * throw new UsageError("usage: pipeline model fetch REPO_ID");
 * ```
 */
export class UsageError extends Error {}

/** What `parseArgs` returns for `config`. */
export type ParsedFlags<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * `{ NAME: { type: "string" } }` for each of `names`: flags that take a value and have no default, for the
 * `options` of {@link parseFlags}.
 *
 * ```ts
 * const { values } = parseFlags({ args: ["--in", "a.jsonl"], options: stringFlags("in", "out") });
 * values.in; // "a.jsonl"
 * ```
 */
export function stringFlags<const Name extends string>(...names: Name[]): Record<Name, { type: "string" }> {
  return Object.fromEntries(names.map((name) => [name, { type: "string" }])) as Record<
    Name,
    { type: "string" }
  >;
}

/** Whether `error` is the `TypeError` that `node:util`'s `parseArgs` throws for a bad flag. */
function isParseArgsError(error: unknown): error is TypeError {
  return error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
}

/**
 * `parseArgs(config)`, throwing a {@link UsageError} (with parseArgs' message) for an unknown flag, a missing
 * value or a stray positional.
 *
 * ```ts
 * const { values } = parseFlags({ args: ["--to", "out"], options: { to: { type: "string" } } });
 * values.to; // "out"
 * ```
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ParsedFlags<T> {
  try {
    return parseArgs(config);
  } catch (error) {
    if (isParseArgsError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * {@link parseFlags}, or undefined after printing `COMMAND: why` and the usage line on stderr (the caller then
 * exits with code 2).
 *
 * ```ts
 * const parsed = parseFlagsOrReport("verify-math", "usage: pipeline verify-math --in FILE", {
 *   args: Deno.args,
 *   options: { in: { type: "string" } },
 * });
 * if (!parsed) Deno.exit(2);
 * ```
 */
export function parseFlagsOrReport<T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
): ParsedFlags<T> | undefined {
  try {
    return parseFlags(config);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${command}: ${error.message}\n${usage}`);
    return undefined;
  }
}
