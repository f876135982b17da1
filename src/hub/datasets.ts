/**
 * The datasets `pipeline datasets fetch` knows: where each lives on the Hub, which of its files are read,
 * and how they become this project's JSONL files.
 *
 * | name        | Hub dataset                            | written (default folder `data/<name>/`)                      |
 * | ----------- | -------------------------------------- | ------------------------------------------------------------ |
 * | `humaneval` | `openai/openai_humaneval`              | `HumanEval.jsonl` (164 problems: task_id, prompt, canonical_solution, test, entry_point) |
 * | `mbpp`      | `google-research-datasets/mbpp`        | `train.jsonl`, `test.jsonl`, `validation.jsonl`, `prompt.jsonl` in HumanEval format (see mbpp.ts); `--config sanitized` for the sanitized subset |
 * | `math`      | `EleutherAI/hendrycks_math`            | `train.jsonl` (7,500), `test.jsonl` (5,000): unique_id, problem, level, type, solution |
 * | `math500`   | `HuggingFaceH4/MATH-500`               | `test.jsonl` (500: problem, solution, answer, subject, level, unique_id) |
 *
 * MATH's `unique_id` is `<split>/<subject>/<row>`, the row's index in the mirror's per-subject file (the
 * mirror does not keep the original file numbers that MATH500's ids use).
 *
 * @module
 */
import { join } from "node:path";
import { readJsonl, writeJsonl } from "../data/jsonl.ts";
import { mbppToHumanEval } from "./mbpp.ts";
import { readParquetRows } from "./parquet.ts";
import { parseRepo, type Repo } from "./repo.ts";
import { fetchSnapshot, globToRegExp, type Snapshot, type SnapshotOptions } from "./snapshot.ts";

type Row = Record<string, unknown>;

/** One dataset's source on the Hub and its conversion. */
export interface DatasetRecipe {
  name: string;
  description: string;
  /** The Hub dataset. */
  repo: string;
  /** Its configurations (subsets); the first is the default. */
  configs: readonly string[];
  /** The files of a configuration to download. */
  include(config: string): string[];
  /** Reads the downloaded files into output files (name → records). */
  convert(snapshot: Snapshot, config: string): Promise<Map<string, Row[]>>;
}

/** A conversion found data it cannot use: the message names the file and row. */
export class DatasetFormatError extends Error {
  override name = "DatasetFormatError";
}

/** The rows of every file matching `pattern` (shards in name order), read as parquet or JSONL. */
async function rowsOf(snapshot: Snapshot, pattern: string): Promise<Row[]> {
  const regex = globToRegExp(pattern);
  const files = snapshot.files.filter((path) => regex.test(path)).sort();
  if (files.length === 0) {
    throw new DatasetFormatError(
      `${snapshot.repo.id}@${snapshot.commit.slice(0, 8)} has no file matching ${pattern} ` +
        `(it has ${
          snapshot.files.join(", ")
        }); the dataset's layout changed, pass --revision of an older one`,
    );
  }
  const rows: Row[] = [];
  for (const file of files) {
    const path = join(snapshot.dir, file);
    rows.push(...(file.endsWith(".parquet") ? await readParquetRows(path) : await readJsonl(path)));
  }
  return rows;
}

/** Keeps `fields` of a row, each required to be a string (numbers too, where `numeric` allows). */
function pick(row: Row, fields: readonly string[], where: string, numeric: readonly string[] = []): Row {
  const out: Row = {};
  for (const field of fields) {
    const value = row[field];
    const ok = typeof value === "string" || (numeric.includes(field) && typeof value === "number");
    if (!ok) throw new DatasetFormatError(`${where}: field "${field}" is missing or not a string`);
    out[field] = value;
  }
  return out;
}

/**
 * A recipe's `convert` that writes the rows of the files matching `pattern` as one output file, keeping
 * `fields` (strings; those in `numeric` may be numbers); `where(i)` names row `i` in errors.
 */
function oneFile(
  pattern: string,
  output: string,
  fields: readonly string[],
  where: (i: number) => string,
  numeric: readonly string[] = [],
): DatasetRecipe["convert"] {
  return async (snapshot: Snapshot) => {
    const rows = await rowsOf(snapshot, pattern);
    return new Map([[output, rows.map((row, i) => pick(row, fields, where(i), numeric))]]);
  };
}

const HUMANEVAL_FIELDS = ["task_id", "prompt", "canonical_solution", "test", "entry_point"] as const;
const MATH_FIELDS = ["problem", "level", "type", "solution"] as const;
const MATH500_FIELDS = ["problem", "solution", "answer", "subject", "level", "unique_id"] as const;
const MATH_SUBJECTS = [
  "algebra",
  "counting_and_probability",
  "geometry",
  "intermediate_algebra",
  "number_theory",
  "prealgebra",
  "precalculus",
] as const;
const MBPP_SPLITS = ["train", "test", "validation", "prompt"] as const;

/** Every dataset `datasets fetch` knows, by name. */
export const DATASETS: ReadonlyMap<string, DatasetRecipe> = new Map(
  [
    {
      name: "humaneval",
      description: "HumanEval (Chen et al., 2021): 164 Python problems with unit tests",
      repo: "openai/openai_humaneval",
      configs: ["openai_humaneval"],
      include: () => ["openai_humaneval/test-*.parquet"],
      convert: oneFile(
        "openai_humaneval/test-*.parquet",
        "HumanEval.jsonl",
        HUMANEVAL_FIELDS,
        (i) => `HumanEval row ${i}`,
      ),
    },
    {
      name: "mbpp",
      description: "MBPP (Austin et al., 2021): 974 Python problems, converted to the HumanEval format",
      repo: "google-research-datasets/mbpp",
      configs: ["full", "sanitized"],
      include: (config: string) => [`${config}/*.parquet`],
      convert: async (snapshot: Snapshot, config: string) => {
        const out = new Map<string, Row[]>();
        for (const split of MBPP_SPLITS) {
          const rows = await rowsOf(snapshot, `${config}/${split}-*.parquet`);
          out.set(`${split}.jsonl`, rows.map((row) => ({ ...mbppToHumanEval(row) })));
        }
        return out;
      },
    },
    {
      name: "math",
      description: "MATH (Hendrycks et al., 2021): 7,500 training and 5,000 test competition problems",
      repo: "EleutherAI/hendrycks_math",
      configs: ["all"],
      include: () =>
        MATH_SUBJECTS.flatMap((subject) => [`${subject}/train-*.parquet`, `${subject}/test-*.parquet`]),
      convert: async (snapshot: Snapshot) => {
        const out = new Map<string, Row[]>();
        for (const split of ["train", "test"]) {
          const records: Row[] = [];
          for (const subject of MATH_SUBJECTS) {
            const rows = await rowsOf(snapshot, `${subject}/${split}-*.parquet`);
            rows.forEach((row, i) => {
              const where = `MATH ${split}/${subject} row ${i}`;
              records.push({ unique_id: `${split}/${subject}/${i}`, ...pick(row, MATH_FIELDS, where) });
            });
          }
          out.set(`${split}.jsonl`, records);
        }
        return out;
      },
    },
    {
      name: "math500",
      description: "MATH500 (Lightman et al., 2023): 500 MATH test problems with their answers",
      repo: "HuggingFaceH4/MATH-500",
      configs: ["default"],
      include: () => ["test.jsonl"],
      convert: oneFile("test.jsonl", "test.jsonl", MATH500_FIELDS, (i) => `MATH500 line ${i + 1}`, ["level"]),
    },
  ].map((recipe) => [recipe.name, recipe]),
);

/** The folder `datasets fetch NAME` writes to without `--to`. */
export function defaultDatasetDir(name: string, config?: string): string {
  const recipe = DATASETS.get(name);
  return join("data", config && recipe && config !== recipe.configs[0] ? `${name}-${config}` : name);
}

/** What {@link fetchDataset} needs besides the dataset's name. */
export interface FetchDatasetOptions extends Pick<SnapshotOptions, "revision" | "settings" | "progress"> {
  /** Output folder (default {@link defaultDatasetDir}). */
  to?: string;
  /** Configuration (default the recipe's first). */
  config?: string;
}

/** What {@link fetchDataset} wrote. */
export interface FetchedDataset {
  dir: string;
  snapshot: Snapshot;
  /** Output files and their record counts. */
  outputs: { file: string; records: number }[];
}

/** Looks a dataset up by name; the error lists the known ones. */
export function datasetRecipe(name: string): DatasetRecipe {
  const recipe = DATASETS.get(name);
  if (!recipe) {
    throw new DatasetFormatError(`unknown dataset '${name}' (known: ${[...DATASETS.keys()].join(", ")})`);
  }
  return recipe;
}

/**
 * Downloads a dataset into the Hugging Face cache and writes its JSONL files, plus `source.json` (the
 * repository, commit, files and counts), into the output folder.
 */
export async function fetchDataset(name: string, options: FetchDatasetOptions = {}): Promise<FetchedDataset> {
  const recipe = datasetRecipe(name);
  const config = options.config ?? recipe.configs[0];
  if (!recipe.configs.includes(config)) {
    throw new DatasetFormatError(`${name} has no config '${config}' (configs: ${recipe.configs.join(", ")})`);
  }
  const repo: Repo = parseRepo(recipe.repo, "dataset");
  const snapshot = await fetchSnapshot(repo, { ...options, include: recipe.include(config) });
  const converted = await recipe.convert(snapshot, config);
  const dir = options.to ?? defaultDatasetDir(name, config);
  await Deno.mkdir(dir, { recursive: true });
  const outputs = [];
  for (const [file, records] of converted) {
    await writeJsonl(join(dir, file), records);
    outputs.push({ file, records: records.length });
  }
  const source = {
    dataset: name,
    config,
    repo: recipe.repo,
    commit: snapshot.commit,
    files: snapshot.files,
    outputs,
  };
  await Deno.writeTextFile(join(dir, "source.json"), JSON.stringify(source, null, 2) + "\n");
  return { dir, snapshot, outputs };
}
