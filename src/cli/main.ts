/**
 * The `pipeline` command line's dispatcher: the table of subcommands and their help. The entry point
 * (`src/cli.ts`) passes the step registry in, so that nothing below this folder depends on the concrete
 * step kinds.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * const code = await main(["validate", "workflows/score.yaml"], { stepKinds: async () => myKinds });
 * ```
 *
 * @module
 */
import {
  type CliContext,
  listCommand,
  logsCommand,
  reportError,
  resumeCommand,
  runCommand,
  statusCommand,
  stepsCommand,
  validateCommand,
} from "./workflow.ts";
import { cancelCommand, shardCommand } from "./cluster.ts";

export type { CliContext };

/** A subcommand: takes its arguments (and the entry point's context), returns an exit code. */
type Command = (args: string[], context: CliContext) => Promise<number>;

/** A command implemented in another area, loaded only when used (keeps start-up fast). */
function lazy(load: () => Promise<{ main: (args: string[]) => Promise<number> }>): Command {
  return async (args) => (await load()).main(args);
}

const commands: Record<string, { run: Command; help: string }> = {
  run: {
    run: runCommand,
    help: "run FILE [--run-id ID] [--runs-dir DIR] [--set k=v ...] [--force] [--serve]",
  },
  resume: { run: resumeCommand, help: "resume RUN_ID [--from STEP] [--runs-dir DIR]" },
  cancel: {
    run: cancelCommand,
    help: "cancel RUN_ID [--runs-dir DIR]: cancels its Slurm jobs, stops its head",
  },
  shard: {
    run: shardCommand,
    help: "shard RUN_ID STEP K [--runs-dir DIR]: runs shard K of a sharded step (what its Slurm task runs)",
  },
  status: { run: statusCommand, help: "status [RUN_ID] [--json]" },
  list: { run: listCommand, help: "list [--json]" },
  validate: { run: validateCommand, help: "validate FILE [--set k=v ...]" },
  logs: { run: logsCommand, help: "logs RUN_ID [--step STEP]" },
  steps: { run: stepsCommand, help: "steps [--json]: the step kinds, their parameters and outputs" },
  serve: {
    run: lazy(() => import("../server/cli.ts")),
    help: "serve [--host 127.0.0.1] [--port 8787] [--runs-dir DIR] [--token T]",
  },
  model: {
    run: (args, context) =>
      args[0] === "fetch"
        ? import("../hub/cli.ts").then((hub) => hub.modelFetchMain(args.slice(1)))
        : lazy(() => import("../model/cli.ts"))(args, context),
    help: "model init --config FILE --out DIR | model export-onnx DIR |\n" +
      "           model score --model DIR --in FILE --out FILE [--grads FILE] |\n" +
      "           model fetch REPO_ID [--revision R] [--to DIR] [--include GLOB ...]",
  },
  datasets: {
    run: (args) => import("../hub/cli.ts").then((hub) => hub.datasetsMain(args)),
    help: "datasets fetch humaneval|mbpp|math|math500 [--to DIR] [--revision R] [--config C] | datasets list",
  },
  generate: {
    run: lazy(() => import("../inference/cli.ts")),
    help:
      "generate --model DIR --prompts FILE --out FILE [--max-new-tokens N] [--temperature T] [--top-p P]\n" +
      "           [--top-k K] [--n N] [--batch-size B] [--seed S] [--provider cpu|cuda|webgpu]",
  },
  "verify-code": {
    run: lazy(() => import("../verify/code/cli.ts")),
    help: "verify-code --problems FILE --samples FILE --out FILE [--language python|typescript]\n" +
      "           [--timeout S] [--concurrency N]",
  },
  "verify-math": {
    run: lazy(() => import("../verify/math/cli.ts")),
    help: "verify-math --in FILE --out FILE [--fail-fast] [--time-budget-ms N]",
  },
};

function usage(): string {
  const lines = Object.values(commands).map((c) => `  pipeline ${c.help}`);
  return `usage:\n${lines.join("\n")}\n\nexit codes: 0 done, 1 a step failed, 2 bad input, 130 interrupted`;
}

/** Runs the CLI with `args` and returns the exit code. */
export async function main(args: string[], context: CliContext): Promise<number> {
  const [name, ...rest] = args;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`error: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, context);
  } catch (error) {
    return reportError(error);
  }
}
