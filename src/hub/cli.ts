/**
 * `pipeline datasets fetch` and `pipeline model fetch`: downloads from the Hugging Face Hub into its cache
 * (honouring HF_ENDPOINT, HF_TOKEN, HF_HOME, HF_HUB_CACHE and HF_HUB_OFFLINE), then plain files where the
 * pipeline reads them.
 *
 * ```
 * pipeline datasets fetch humaneval|mbpp|math|math500 [--to DIR] [--revision R] [--config C]
 * pipeline datasets list
 * pipeline model fetch REPO_ID [--revision R] [--to DIR] [--include GLOB ...] [--no-onnx]
 * ```
 *
 * `model fetch` puts the files in DIR (default `models/<name>`) as hard links to the cache's blobs (copies
 * across file systems), then exports the ONNX inference graph there (`onnx/model.onnx`, as
 * `pipeline model export-onnx DIR` does), which generation needs; `--no-onnx` skips that.
 *
 * Exit codes: 0 done, 1 the download or conversion failed, 2 bad arguments.
 *
 * @module
 */
import { basename, join } from "node:path";
import { datasetRecipe, DATASETS, defaultDatasetDir, fetchDataset } from "./datasets.ts";
import { parseRepo, RepoIdError } from "./repo.ts";
import { fetchSnapshot, materializeSnapshot } from "./snapshot.ts";
import { parseFlags, UsageError } from "../util/args.ts";

const DATASETS_USAGE = "usage: pipeline datasets fetch NAME [--to DIR] [--revision R] [--config C]\n" +
  "       pipeline datasets list";
const MODEL_USAGE =
  "usage: pipeline model fetch REPO_ID [--revision R] [--to DIR] [--include GLOB ...] [--no-onnx]";

/** The files `model fetch` takes by default: configs, tokenizers, chat templates and safetensors weights. */
export const MODEL_FILES = ["*.json", "*.safetensors", "*.txt", "*.model", "*.jinja", "*.tiktoken"];

async function run(action: () => Promise<void>, command: string): Promise<number> {
  try {
    await action();
    return 0;
  } catch (error) {
    console.error(`${command}: ${(error as Error).message}`);
    return error instanceof UsageError || error instanceof RepoIdError ? 2 : 1;
  }
}

/** `pipeline datasets ...`; returns the exit code. */
export function datasetsMain(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === "list") {
    for (const recipe of DATASETS.values()) {
      console.log(`${recipe.name.padEnd(10)} ${recipe.repo.padEnd(32)} ${recipe.description}`);
    }
    return Promise.resolve(0);
  }
  if (command !== "fetch") {
    console.error(DATASETS_USAGE);
    return Promise.resolve(command === "--help" ? 0 : 2);
  }
  return run(() => datasetsFetch(rest), "datasets fetch");
}

async function datasetsFetch(args: string[]): Promise<void> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { to: { type: "string" }, revision: { type: "string" }, config: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError(DATASETS_USAGE);
  const name = positionals[0];
  if (!DATASETS.has(name)) {
    throw new UsageError(`unknown dataset '${name}' (known: ${[...DATASETS.keys()].join(", ")})`);
  }
  const recipe = datasetRecipe(name);
  if (values.config && !recipe.configs.includes(values.config)) {
    throw new UsageError(`${name} has no config '${values.config}' (configs: ${recipe.configs.join(", ")})`);
  }
  const to = values.to ?? defaultDatasetDir(name, values.config);
  const fetched = await fetchDataset(name, { to, revision: values.revision, config: values.config });
  const from = `${recipe.repo}@${fetched.snapshot.commit.slice(0, 12)}`;
  for (const output of fetched.outputs) {
    console.log(`${join(fetched.dir, output.file)}: ${output.records} records (from ${from})`);
  }
}

/** `pipeline model fetch ...`; returns the exit code. */
export function modelFetchMain(args: string[]): Promise<number> {
  return run(async () => {
    const { values, positionals } = parseFlags({
      args,
      allowPositionals: true,
      options: {
        revision: { type: "string" },
        to: { type: "string" },
        include: { type: "string", multiple: true },
        "no-onnx": { type: "boolean", default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError(MODEL_USAGE);
    const repo = parseRepo(positionals[0], "model");
    const snapshot = await fetchSnapshot(repo, {
      revision: values.revision,
      include: values.include?.length ? values.include : MODEL_FILES,
    });
    const to = values.to ?? join("models", basename(repo.id));
    await materializeSnapshot(snapshot, to);
    console.log(
      `${to}: ${snapshot.files.length} files of ${repo.id}@${snapshot.commit.slice(0, 12)} (${snapshot.dir})`,
    );
    const missing = ["config.json", ".safetensors"].filter((want) =>
      !snapshot.files.some((f) => f.endsWith(want))
    );
    if (missing.length) {
      console.error(
        `model fetch: warning: no ${
          missing.join(" and no ")
        } file; the pipeline reads Hugging Face checkpoints ` +
          `(config.json, *.safetensors, tokenizer.json)`,
      );
    } else if (!values["no-onnx"] && !snapshot.files.includes("onnx/model.onnx")) {
      await exportOnnx(to);
    }
  }, "model fetch");
}

/** Writes the ONNX inference graph into a fetched checkpoint folder (the model CLI's `export-onnx`). */
async function exportOnnx(dir: string): Promise<void> {
  const model = await import("../model/cli.ts");
  if (await model.main(["export-onnx", dir]) !== 0) {
    throw new Error(
      `the files are in ${dir}, but exporting its ONNX graph failed (see above); ` +
        `retry with: deno task pipeline model export-onnx ${dir}`,
    );
  }
}
