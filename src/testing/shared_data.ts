/**
 * The large real datasets some tests and benchmarks read (HumanEval, MATH, MATH500), which are not part of
 * the repository. They are looked up in `$PIPELINE_SHARED_DATA` when set, else in `../shared/datasets`
 * beside the repository (where this project's test machines keep them), in this layout:
 *
 * ```
 * humaneval/HumanEval.jsonl.gz
 * math/train.jsonl   math/test.jsonl   math/math500.jsonl
 * ```
 *
 * A test that needs a missing file is skipped, and one line names the file, unless `CI` is set: then the
 * test runs and fails, saying the file is missing, so CI never skips these tests silently.
 *
 * @example
 * ```ts ignore
 * import { sharedData } from "../testing/shared_data.ts";
 * const humanEval = sharedData("humaneval/HumanEval.jsonl.gz");
 * humanEval.test("reads HumanEval", async () => { // Deno.test, or Deno.test.ignore when it is missing
 *   const bytes = await Deno.readFile(humanEval.path);
 * });
 * ```
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The environment variable that points the tests at a copy of the shared datasets. */
export const SHARED_DATA_VARIABLE = "PIPELINE_SHARED_DATA";

/** Where the shared datasets are looked up: `$PIPELINE_SHARED_DATA`, else `../shared/datasets`. */
export function sharedDataDir(): string {
  return Deno.env.get(SHARED_DATA_VARIABLE) ||
    fileURLToPath(new URL("../../../shared/datasets", import.meta.url));
}

/** A shared dataset file as a test sees it. */
export interface SharedData {
  /** Whether the test should be skipped: the file is missing and `CI` is not set. */
  readonly ignore: boolean;
  /** `Deno.test`, or `Deno.test.ignore` when the test should be skipped. */
  readonly test: Deno.DenoTest["ignore"];
  /** The file's path; reading it throws, naming the file, when it is missing (only happens with `CI`). */
  readonly path: string;
}

const announced = new Set<string>();

/** Looks up a shared dataset file (a path relative to the shared folder, as in the layout above). */
export function sharedData(relative: string): SharedData {
  const path = join(sharedDataDir(), relative);
  if (existsSync(path)) return { ignore: false, test: Deno.test, path };
  const ci = Boolean(Deno.env.get("CI"));
  if (!ci && !announced.has(path)) {
    announced.add(path);
    console.error(
      `skipping the tests that need ${path}: it is missing (set ${SHARED_DATA_VARIABLE}=DIR to use a copy; ` +
        `with CI set they fail instead)`,
    );
  }
  return {
    ignore: !ci,
    test: ci ? Deno.test : Deno.test.ignore,
    get path(): string {
      const why = ci ? "; CI is set, so the tests that need it fail instead of being skipped" : "";
      throw new Error(
        `${path} is missing${why} (provide it, or set ${SHARED_DATA_VARIABLE}=DIR to a folder that has it)`,
      );
    },
  };
}
