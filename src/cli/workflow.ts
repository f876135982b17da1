/**
 * The workflow commands of the CLI: `run`, `resume`, `status`, `list`, `validate`, `logs` and `steps`.
 *
 * Exit codes: 0 the run is done, 1 a step failed, 2 bad input (nothing was run), 130 interrupted.
 *
 * @module
 */
import { z } from "zod";
import { parseFlags, UsageError } from "../util/args.ts";
import { StepPaths } from "../workflow/artifacts.ts";
import {
  createRun,
  type ExecuteOptions,
  executeRun,
  isValidRunId,
  newRunId,
  resetFrom,
} from "../workflow/engine.ts";
import { WorkflowError } from "../workflow/errors.ts";
import { axisValues, declaredStepId, expandSteps } from "../workflow/matrix.ts";
import { observeRun, observeSteps, ownerAlive } from "../workflow/owner.ts";
import { ConsoleReporter, formatDuration } from "../workflow/progress.ts";
import {
  applyOverrides,
  checkStepParams,
  loadWorkflow,
  parseWorkflow,
  type StepRegistry,
  type Workflow,
} from "../workflow/spec.ts";
import { type RunStatus, RunStore, type ShardRow, type StepRow } from "../workflow/store.ts";

/**
 * What the workflow commands are given by the entry point: the step kinds a workflow may use, loaded on first
 * use (they pull in ONNX Runtime, the sandbox and the checkers, which `status`, `list` and `logs` do not
 * need). The production entry (`src/cli.ts`) passes the registry of `src/steps/mod.ts`; tests pass it with
 * their own kinds added.
 */
export interface CliContext {
  stepKinds(): Promise<StepRegistry>;
}

/** Exit codes of the pipeline CLI. */
export const EXIT = { done: 0, failed: 1, badInput: 2, interrupted: 130 } as const;

function exitCodeOf(status: RunStatus): number {
  return status === "done" ? EXIT.done : status === "interrupted" ? EXIT.interrupted : EXIT.failed;
}

/** Opens the store of a runs directory, creating the directory. */
export async function openStore(runsDir: string): Promise<RunStore> {
  await Deno.mkdir(runsDir, { recursive: true });
  return new RunStore(`${runsDir}/pipeline.db`);
}

/** An AbortSignal that fires on SIGINT or SIGTERM, and a function that removes the handlers. */
function interruptSignal(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = () => {
    console.error("\nstopping: finishing the current commit, then marking the run interrupted...");
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      Deno.removeSignalListener("SIGINT", onSignal);
      Deno.removeSignalListener("SIGTERM", onSignal);
    },
  };
}

/** Serves the status endpoint while a run executes (`--serve`); the server is loaded only then. */
async function serveWhileRunning(runsDir: string, port: number): Promise<{ close(): Promise<void> }> {
  return (await import("../server/serve.ts")).serveWhileRunning(runsDir, port);
}

async function execute(
  options: Omit<ExecuteOptions, "reporter" | "signal">,
  serve?: number,
): Promise<number> {
  const interrupt = interruptSignal();
  const reporter = new ConsoleReporter();
  const server = serve !== undefined
    ? await serveWhileRunning(options.runDir.replace(/\/[^/]+$/, ""), serve)
    : undefined;
  try {
    const status = await executeRun({ ...options, reporter, signal: interrupt.signal });
    reporter.close();
    console.error(`run ${options.runId}: ${status}`);
    if (status === "failed") {
      console.error(
        `see: deno task pipeline status ${options.runId}; fix, then: deno task pipeline resume ${options.runId}`,
      );
    }
    if (status === "interrupted") console.error(`continue with: deno task pipeline resume ${options.runId}`);
    return exitCodeOf(status);
  } finally {
    reporter.close();
    interrupt.dispose();
    await server?.close();
  }
}

/** `run FILE [--run-id ID] [--runs-dir DIR] [--set k=v ...] [--force] [--serve [--port N]]` */
export async function runCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      "run-id": { type: "string" },
      "runs-dir": { type: "string", default: "runs" },
      set: { type: "string", multiple: true, default: [] },
      force: { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
      port: { type: "string", default: "8787" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError("usage: pipeline run FILE [--run-id ID] [--runs-dir DIR] [--set k=v ...]");
  }
  const workflow = await loadWorkflow(positionals[0], await context.stepKinds());
  const params = applyOverrides(workflow, values.set);
  checkStepParams(workflow, params);
  const runId = values["run-id"] ?? newRunId(workflow.name);
  if (!isValidRunId(runId)) throw new UsageError(`--run-id ${runId}: use letters, digits, '.', '_' and '-'`);
  const runsDir = values["runs-dir"];
  using store = disposable(await openStore(runsDir));
  const options = {
    store: store.value,
    workflow,
    params,
    runId,
    runDir: `${runsDir}/${runId}`,
    force: values.force,
  };
  await createRun(options);
  console.error(`run ${runId} (${workflow.file}, ${stepCount(workflow, params)}) in ${runsDir}/${runId}`);
  return await execute(options, values.serve ? Number(values.port) : undefined);
}

function disposable(store: RunStore): { value: RunStore; [Symbol.dispose](): void } {
  return { value: store, [Symbol.dispose]: () => store.close() };
}

/** `resume ID [--from STEP] [--runs-dir DIR]` */
export async function resumeCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      "runs-dir": { type: "string", default: "runs" },
      from: { type: "string" },
      serve: { type: "boolean", default: false },
      port: { type: "string", default: "8787" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError("usage: pipeline resume RUN_ID [--from STEP] [--runs-dir DIR]");
  }
  const runId = positionals[0];
  const runsDir = values["runs-dir"];
  using store = disposable(await openStore(runsDir));
  const run = store.value.getRun(runId);
  if (!run) throw new UsageError(`no run '${runId}' in ${runsDir} (see: deno task pipeline list)`);
  if (run.status === "running" && run.pid !== Deno.pid && ownerAlive(run)) {
    throw new UsageError(`run '${runId}' is still running (pid ${run.pid}); stop it first or wait`);
  }
  const workflow = parseWorkflow(run.source, run.file, await context.stepKinds());
  const params = JSON.parse(run.params) as Record<string, unknown>;
  const options = { store: store.value, workflow, params, runId, runDir: `${runsDir}/${runId}` };
  if (values.from) console.error(`re-running: ${(await resetFrom(options, values.from)).join(", ")}`);
  for (const step of store.value.getSteps(runId)) {
    if (step.status === "running") store.value.updateStep(runId, step.step_id, { status: "interrupted" });
  }
  store.value.addEvent(runId, null, "run.resumed", { from: values.from ?? null });
  console.error(`resuming run ${runId}`);
  return await execute(options, values.serve ? Number(values.port) : undefined);
}

/** `validate FILE [--set k=v ...]`: checks a workflow without running it. */
export async function validateCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { set: { type: "string", multiple: true, default: [] } },
  });
  if (positionals.length !== 1) throw new UsageError("usage: pipeline validate FILE");
  const workflow = await loadWorkflow(positionals[0], await context.stepKinds());
  const params = applyOverrides(workflow, values.set);
  checkStepParams(workflow, params);
  console.log(
    `${workflow.file}: ok (${stepCount(workflow, params)}: ${workflow.steps.map((s) => s.id).join(", ")})`,
  );
  for (const line of expansionLines(workflow, params)) console.log(line);
  return EXIT.done;
}

/** `12 steps`, or `12 steps, 20 instances` when matrix steps run more than once. */
function stepCount(workflow: Workflow, params: Record<string, unknown>): string {
  const instances = expandSteps(workflow, params).length;
  const steps = `${workflow.steps.length} steps`;
  return instances === workflow.steps.length ? steps : `${steps}, ${instances} instances`;
}

/** The matrix axes' values and each matrix step's instances, for `validate`. */
export function expansionLines(workflow: Workflow, params: Record<string, unknown>): string[] {
  const axes = Object.entries(axisValues(workflow, params));
  if (axes.length === 0) return [];
  const instances = expandSteps(workflow, params);
  return [
    `matrix: ${axes.map(([axis, values]) => `${axis} = ${values.join(", ")}`).join("; ")}`,
    ...workflow.steps.filter((step) => step.axes.length > 0).map((step) => {
      const ids = instances.filter((i) => i.declaredId === step.id).map((i) => i.id);
      return `  ${step.id} × ${step.axes.join(" × ")}: ${ids.join(", ")}`;
    }),
  ];
}

function stepLine(step: StepRow): string {
  const items = step.items_total
    ? ` ${step.items_done}/${step.items_total}`
    : step.items_done
    ? ` ${step.items_done}`
    : "";
  const took = step.started && step.finished
    ? ` ${formatDuration((step.finished - step.started) / 1000)}`
    : "";
  const error = step.error && step.status === "failed" ? `  ${step.error}` : "";
  return `  ${step.step_id.padEnd(28)} ${step.status.padEnd(11)} ${
    step.kind.padEnd(18)
  }${items}${took}${error}`;
}

/** One shard of a step run on Slurm: `    shard 2  running  n1  40/82  RUNNING  job 17  requeued 1×`. */
function shardLine(shard: ShardRow): string {
  const size = shard.first === null || shard.end === null ? "" : `/${shard.end - shard.first}`;
  const requeued = shard.restarts ? `  requeued ${shard.restarts}×` : "";
  return `    shard ${String(shard.shard).padEnd(4)} ${shard.state.padEnd(8)} ${
    (shard.node ?? "-").padEnd(8)
  } ${`${shard.items_done}${size}`.padEnd(12)} ${shard.scheduler_state ?? ""}${
    shard.job_id ? `  job ${shard.job_id}` : ""
  }${requeued}`;
}

/** `status [ID] [--json] [--runs-dir DIR]`: one run's steps, or the latest run's. */
export async function statusCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { "runs-dir": { type: "string", default: "runs" }, json: { type: "boolean", default: false } },
  });
  using store = disposable(await openStore(values["runs-dir"]));
  const row = positionals[0] ? store.value.getRun(positionals[0]) : store.value.listRuns(1)[0];
  if (!row) throw new UsageError(positionals[0] ? `no run '${positionals[0]}'` : "no runs yet");
  const run = observeRun(row);
  const steps = observeSteps(run, store.value.getSteps(run.id));
  const shards = store.value.getShards(run.id);
  if (values.json) {
    const { source: _source, ...rest } = run;
    console.log(JSON.stringify({ ...rest, params: JSON.parse(run.params), steps, shards }, null, 2));
  } else {
    console.log(
      `${run.id}  ${run.status}  (${run.workflow}, ${run.file})${run.error ? `  ${run.error}` : ""}`,
    );
    for (const step of steps) {
      console.log(stepLine(step));
      for (const shard of shards.filter((s) => s.step_id === step.step_id)) console.log(shardLine(shard));
    }
  }
  return EXIT.done;
}

/** `list [--json] [--runs-dir DIR]`: the runs, newest first. */
export async function listCommand(args: string[]): Promise<number> {
  const { values } = parseFlags({
    args,
    options: { "runs-dir": { type: "string", default: "runs" }, json: { type: "boolean", default: false } },
  });
  using store = disposable(await openStore(values["runs-dir"]));
  const runs = store.value.listRuns(1000).map((row) => {
    const { source: _source, ...run } = observeRun(row);
    return run;
  });
  if (values.json) console.log(JSON.stringify(runs, null, 2));
  else {for (const run of runs) {
      console.log(
        `${run.id}  ${run.status.padEnd(11)} ${run.workflow}  ${new Date(run.created).toISOString()}`,
      );
    }}
  return EXIT.done;
}

/** `logs ID [--step S] [--runs-dir DIR]`: a run's step logs. */
export async function logsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: { "runs-dir": { type: "string", default: "runs" }, step: { type: "string" } },
  });
  if (positionals.length !== 1) throw new UsageError("usage: pipeline logs RUN_ID [--step STEP]");
  using store = disposable(await openStore(values["runs-dir"]));
  const runId = positionals[0];
  if (!store.value.getRun(runId)) throw new UsageError(`no run '${runId}'`);
  const wanted = (id: string) => !values.step || id === values.step || declaredStepId(id) === values.step;
  const steps = store.value.getSteps(runId).filter((s) => wanted(s.step_id));
  if (steps.length === 0) throw new UsageError(`run '${runId}' has no step '${values.step}'`);
  for (const step of steps) {
    const text = await Deno.readTextFile(new StepPaths(`${values["runs-dir"]}/${runId}`, step.step_id).log)
      .catch(() => "");
    if (steps.length > 1) console.log(`== ${step.step_id} (${step.status})`);
    console.log(text.trimEnd());
  }
  return EXIT.done;
}

/** Turns an error of a command into an exit code, printing one line. */
export function reportError(error: unknown): number {
  if (error instanceof WorkflowError || error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    return EXIT.badInput;
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.failed;
}

interface JsonSchemaProp {
  type?: string | string[];
  default?: unknown;
  anyOf?: JsonSchemaProp[];
  properties?: Record<string, unknown>;
  enum?: unknown[];
}

function typeName(prop: JsonSchemaProp): string {
  if (prop.properties && "artifact" in prop.properties) return "artifact";
  if (prop.enum) return prop.enum.map((v) => JSON.stringify(v)).join("|");
  if (prop.anyOf) return prop.anyOf.map(typeName).join("|");
  return Array.isArray(prop.type) ? prop.type.join("|") : prop.type ?? "any";
}

/** The parameters of a step kind as `name: type = default` strings, read from its zod schema. */
export function describeParams(schema: unknown): string[] {
  const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as {
    properties?: Record<string, JsonSchemaProp>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, prop]) => {
    const type = typeName(prop);
    const optional = json.required?.includes(name) ? "" : "?";
    const fallback = prop.default === undefined ? "" : ` = ${JSON.stringify(prop.default)}`;
    return `${name}${optional}: ${type}${fallback}`;
  });
}

/** `steps [--json]`: the registered step kinds with their parameters and outputs. */
export async function stepsCommand(args: string[], context: CliContext): Promise<number> {
  const { values } = parseFlags({ args, options: { json: { type: "boolean", default: false } } });
  const kinds = [...(await context.stepKinds()).values()].sort((a, b) => a.name.localeCompare(b.name));
  const rows = kinds.map((kind) => ({
    name: kind.name,
    description: kind.description,
    params: describeParams(kind.params),
    outputs: Object.entries(kind.outputs).map(([name, spec]) => `${name} (${spec.kind})`),
  }));
  if (values.json) console.log(JSON.stringify(rows, null, 2));
  else {
    for (const row of rows) {
      console.log(
        `${row.name}: ${row.description}\n  with: ${row.params.join(", ")}\n  outputs: ${
          row.outputs.join(", ")
        }`,
      );
    }
    console.log(
      "\nEvery step also takes needs:, matrix: [axes] (one instance per axis value, e.g. per seed), retry: and " +
        "timeout:; see 'Workflow files' in the README.",
    );
  }
  return EXIT.done;
}
