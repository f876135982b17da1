/**
 * Workflow files: parsing YAML (with the npm package `yaml`, which reports line and column), checking the
 * shape with zod, and checking meaning (step kinds, ids, needs, cycles, references, parameters, matrix axes,
 * each step's `with:` against its kind's schema). Every mistake becomes a {@link WorkflowError} that points at
 * the line.
 *
 * @module
 */
import { type Document, isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { type Position, WorkflowError } from "./errors.ts";
import { findCycle } from "./graph.ts";
import {
  type AxisDecl,
  checkStepAxes,
  declaredStepId,
  expandSteps,
  type Fail,
  parseAxis,
  resolveInstance,
} from "./matrix.ts";
import { findReferences } from "./refs.ts";
import type { ArtifactRef, StepKind } from "./step.ts";

/** A duration: seconds as a number, or a string such as `500ms`, `30s`, `10m`, `2h`. */
const Duration = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)?(ms|s|m|h)$/)]);

/** Converts a {@link Duration} to milliseconds. */
export function durationMs(value: number | string): number {
  if (typeof value === "number") return value * 1000;
  const match = value.match(/^(\d+(?:\.\d+)?)(ms|s|m|h)$/)!;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * unit;
}

const ParamType = z.enum(["string", "integer", "number", "boolean"]);
/** The type of a workflow parameter. */
export type ParamType = z.infer<typeof ParamType>;

const ParamDecl = z.strictObject({
  type: ParamType,
  default: z.union([z.string(), z.number(), z.boolean()]),
  description: z.string().optional(),
});

/**
 * Where a step runs. `local` (the default): inside the pipeline's own process. `slurm`: a step whose kind is
 * shardable becomes one `sbatch --array` job of `shards` tasks, each running `pipeline shard RUN STEP K` over
 * a contiguous range of the items (see `executor/slurm.ts`); other steps still run in the pipeline's process.
 *
 * ```yaml
 * executor:
 *   type: slurm
 *   shards: 4
 *   partition: gpu
 *   time_limit: "02:00:00"
 *   cpus: 8
 *   memory: 32G
 *   gpus: 1
 *   sbatch_flags: ["--qos=normal"]
 * ```
 */
export const ExecutorSpec = z.union([
  z.literal("local").transform(() => ({ type: "local" as const })),
  z.strictObject({ type: z.literal("local") }),
  z.strictObject({
    type: z.literal("slurm"),
    /** How many array tasks a shardable step is split into. */
    shards: z.number().int().min(1).max(10_000).default(4),
    /** `sbatch --partition`. */
    partition: z.string().min(1).optional(),
    /** `sbatch --account`. */
    account: z.string().min(1).optional(),
    /** `sbatch --time`, in Slurm's format (`30`, `02:00:00`, `1-00:00:00`). */
    time_limit: z.string().regex(/^[0-9:-]+$/, "write a Slurm time such as 30, 02:00:00 or 1-00:00:00")
      .optional(),
    /** `sbatch --cpus-per-task`. */
    cpus: z.number().int().min(1).optional(),
    /** `sbatch --mem`, for example `16G`. */
    memory: z.string().regex(/^\d+[KMGT]?$/, "write a Slurm memory size such as 4000, 16G").optional(),
    /** GPUs per task: `sbatch --gres=gpu:N`. */
    gpus: z.number().int().min(0).optional(),
    /** More `sbatch` flags, passed as they are (for example `--qos=high`). */
    sbatch_flags: z.array(z.string().regex(/^--?[A-Za-z]/, "an sbatch flag starts with '-'")).default([]),
    /** How often the pipeline polls the shards' state. */
    poll_interval: Duration.default("2s"),
  }),
]);
/** Where a step runs: `{ type: "local" }` or the Slurm settings. */
export type ExecutorSpec = z.output<typeof ExecutorSpec>;
/** The Slurm settings of an {@link ExecutorSpec}. */
export type SlurmSettings = Extract<ExecutorSpec, { type: "slurm" }>;

const StepDecl = z.strictObject({
  id: z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "a step id is letters, digits, '_' or '-'"),
  uses: z.string(),
  description: z.string().optional(),
  needs: z.array(z.string()).default([]),
  /** The matrix axes this step runs over (declared under the workflow's `matrix:`). */
  matrix: z.array(z.string()).default([]),
  with: z.record(z.string(), z.unknown()).default({}),
  retry: z.strictObject({
    attempts: z.number().int().min(1).default(1),
    backoff: Duration.default("1s"),
  }).optional(),
  timeout: Duration.optional(),
  /** Overrides the workflow's `executor:` for this step. */
  executor: ExecutorSpec.optional(),
});

const WorkflowDecl = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  concurrency: z.number().int().min(1).default(2),
  /** Where the steps run unless a step says otherwise (default `local`). */
  executor: ExecutorSpec.default({ type: "local" }),
  params: z.record(z.string(), ParamDecl).default({}),
  /** Matrix axes: a list of values, or `{ from, count }`; checked by {@link parseAxis}. */
  matrix: z.record(z.string(), z.unknown()).default({}),
  steps: z.array(StepDecl).min(1, "a workflow needs at least one step"),
});

/** A declared parameter. */
export type ParamDecl = z.infer<typeof ParamDecl>;

/** One step of a loaded workflow. */
export interface StepSpec {
  id: string;
  kind: StepKind;
  needs: string[];
  /** The matrix axes the step runs over (`matrix:`); empty for a step that runs once. */
  axes: string[];
  /** The raw `with:` value, references unresolved. */
  with: Record<string, unknown>;
  retry: { attempts: number; backoffMs: number };
  timeoutMs?: number;
  /** Where the step runs: its own `executor:`, else the workflow's. */
  executor: ExecutorSpec;
  /** Index in the file's `steps:` list. */
  index: number;
}

/** A loaded, checked workflow. */
export interface Workflow {
  file: string;
  source: string;
  name: string;
  description?: string;
  concurrency: number;
  params: Record<string, ParamDecl>;
  /** The matrix axes by name, in file order (values resolved per run by `axisValues`). */
  matrix: Record<string, AxisDecl>;
  /** The steps as declared; `expandSteps` gives the instances the engine runs. */
  steps: StepSpec[];
  /** The position of a path in the file (for errors found later, for example at `--set`). */
  locate(path: (string | number)[]): Position;
}

/** The step kinds a workflow may use. */
export type StepRegistry = ReadonlyMap<string, StepKind>;

type Ranged = { range?: [number, number, number] | null };

/** Finds the node at a path: for a map entry, its key (where a reader looks); for a list item, the item. */
function locator(doc: Document, lines: LineCounter): (path: (string | number)[]) => Position {
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const parent = doc.getIn(path.slice(0, n - 1), true);
      const last = path[n - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === last);
        const key = pair?.key as Ranged | undefined;
        if (key?.range) return lines.linePos(key.range[0]);
      } else if (isSeq(parent) && typeof last === "number") {
        const item = parent.items[last] as Ranged | undefined;
        if (item?.range) return lines.linePos(item.range[0]);
      }
    }
    return { line: 1, col: 1 };
  };
}

/** The path of a zod issue; for unknown keys, the path of the first unknown key. */
function issuePath(issue: z.core.$ZodIssue): (string | number)[] {
  const path = issue.path as (string | number)[];
  return issue.code === "unrecognized_keys" ? [...path, issue.keys[0]] : path;
}

function describeIssue(issue: z.core.$ZodIssue): { problem: string; hint: string } {
  const where = issue.path.length ? `'${issue.path.join(".")}'` : "the workflow";
  if (issue.code === "unrecognized_keys") {
    return {
      problem: `unknown key${issue.keys.length > 1 ? "s" : ""} ${
        issue.keys.map((k) => `'${k}'`).join(", ")
      } in ${where}`,
      hint: "check the spelling; see the workflow format in the README",
    };
  }
  return { problem: `${where}: ${issue.message}`, hint: "see the workflow format in the README" };
}

/** Parses and checks a workflow's text. Throws {@link WorkflowError} on the first mistake. */
export function parseWorkflow(source: string, file: string, registry: StepRegistry): Workflow {
  const lines = new LineCounter();
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  const locate = locator(doc, lines);
  if (doc.errors.length > 0) {
    const error = doc.errors[0];
    throw new WorkflowError(
      file,
      lines.linePos(error.pos[0]),
      `YAML syntax error: ${error.message.split("\n")[0]}`,
      "fix the YAML syntax at this position (indentation, brackets, quotes)",
    );
  }
  const parsed = WorkflowDecl.safeParse(doc.toJS());
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const { problem, hint } = describeIssue(issue);
    throw new WorkflowError(file, locate(issuePath(issue)), problem, hint);
  }
  const decl = parsed.data;
  const fail = (path: (string | number)[], problem: string, hint: string): never => {
    throw new WorkflowError(file, locate(path), problem, hint);
  };
  checkParams(decl.params, fail);
  const paramNames = Object.keys(decl.params);
  const matrix = Object.fromEntries(
    Object.entries(decl.matrix).map(([name, raw]) => [name, parseAxis(name, raw, paramNames, fail)]),
  );
  const steps = decl.steps.map((step, index) => toStepSpec(step, index, decl.executor, registry, fail));
  checkGraph(steps, fail);
  for (const step of steps) checkStepAxes(step, Object.keys(matrix), fail);
  const workflow: Workflow = {
    file,
    source,
    name: decl.name,
    description: decl.description,
    concurrency: decl.concurrency,
    params: decl.params,
    matrix,
    steps,
    locate,
  };
  for (const step of steps) checkReferences(workflow, step, fail);
  checkStepParams(workflow, defaultParams(workflow));
  return workflow;
}

function checkParams(params: Record<string, ParamDecl>, fail: Fail): void {
  for (const [name, decl] of Object.entries(params)) {
    const error = paramTypeError(decl.type, decl.default);
    if (error) {
      fail(
        ["params", name, "default"],
        `parameter '${name}': default ${error}`,
        "make the default match 'type'",
      );
    }
  }
}

function paramTypeError(type: ParamType, value: unknown): string | undefined {
  const ok = type === "string"
    ? typeof value === "string"
    : type === "boolean"
    ? typeof value === "boolean"
    : type === "integer"
    ? Number.isInteger(value)
    : typeof value === "number" && Number.isFinite(value);
  return ok ? undefined : `${JSON.stringify(value)} is not ${type === "integer" ? "an" : "a"} ${type}`;
}

function toStepSpec(
  step: z.infer<typeof StepDecl>,
  index: number,
  executor: ExecutorSpec,
  registry: StepRegistry,
  fail: Fail,
): StepSpec {
  const kind = registry.get(step.uses);
  if (!kind) {
    const known = [...registry.keys()].sort().join(", ");
    fail(["steps", index, "uses"], `unknown step kind '${step.uses}'`, `use one of: ${known}`);
  }
  if (step.executor?.type === "slurm" && !kind!.shardable) {
    const shardable = [...registry.values()].filter((k) => k.shardable).map((k) => k.name).sort();
    fail(
      ["steps", index, "executor"],
      `step '${step.id}' (${step.uses}) cannot run on Slurm: its kind does not work item by item`,
      `remove its 'executor:' (it then runs in the pipeline's process); shardable kinds: ${
        shardable.join(", ")
      }`,
    );
  }
  return {
    id: step.id,
    kind: kind!,
    needs: step.needs,
    axes: step.matrix,
    with: step.with,
    retry: {
      attempts: step.retry?.attempts ?? 1,
      backoffMs: durationMs(step.retry?.backoff ?? "1s"),
    },
    timeoutMs: step.timeout === undefined ? undefined : durationMs(step.timeout),
    executor: step.executor ?? executor,
    index,
  };
}

function checkGraph(steps: StepSpec[], fail: Fail): void {
  const ids = new Map<string, StepSpec>();
  for (const step of steps) {
    if (ids.has(step.id)) {
      fail(["steps", step.index, "id"], `duplicate step id '${step.id}'`, "give every step its own id");
    }
    ids.set(step.id, step);
  }
  for (const step of steps) {
    step.needs.forEach((need, i) => {
      if (!ids.has(need)) {
        fail(
          ["steps", step.index, "needs", i],
          `step '${step.id}' needs unknown step '${need}'`,
          `known steps: ${[...ids.keys()].join(", ")}`,
        );
      }
    });
  }
  const cycle = findCycle(steps.map((s) => ({ id: s.id, needs: s.needs })));
  if (cycle) {
    const first = ids.get(cycle[0])!;
    fail(
      ["steps", first.index, "needs"],
      `dependency cycle: ${cycle.join(" -> ")}`,
      "remove one of these needs",
    );
  }
}

function checkReferences(workflow: Workflow, step: StepSpec, fail: Fail): void {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  for (const found of findReferences(step.with)) {
    const path = ["steps", step.index, "with", ...found.path];
    const ref = found.reference;
    if (typeof ref === "string") {
      fail(path, ref, "write ${{ params.NAME }}, ${{ matrix.NAME }} or ${{ steps.ID.outputs.NAME }}");
    } else if (ref.type === "matrix") {
      checkMatrixReference(workflow, step, ref.name, path, fail);
    } else if (ref.type === "param" && !(ref.name in workflow.params)) {
      fail(
        path,
        `unknown parameter '${ref.name}'`,
        `declare it under 'params:' (declared: ${Object.keys(workflow.params).join(", ") || "none"})`,
      );
    } else if (ref.type === "output") {
      const producer = byId.get(ref.step);
      if (!producer) {
        fail(path, `reference to unknown step '${ref.step}'`, `known steps: ${[...byId.keys()].join(", ")}`);
      }
      if (!(ref.output in producer!.kind.outputs)) {
        fail(
          path,
          `step '${ref.step}' (${producer!.kind.name}) has no output '${ref.output}'`,
          `its outputs: ${Object.keys(producer!.kind.outputs).join(", ")}`,
        );
      }
      if (!step.needs.includes(ref.step)) {
        fail(
          path,
          `step '${step.id}' uses an output of '${ref.step}' without needing it`,
          `add '${ref.step}' to its 'needs:'`,
        );
      }
      const fanIn = producer!.axes.filter((axis) => !step.axes.includes(axis));
      if (fanIn.length > 0 && !found.whole) {
        fail(
          path,
          `'\${{ ${found.expression} }}' is a list (one per ${
            fanIn.join(", ")
          } of matrix step '${ref.step}') ` +
            `and cannot be part of a longer string`,
          `make the reference the whole value, or give step '${step.id}' 'matrix: [${fanIn.join(", ")}]'`,
        );
      }
    }
  }
}

function checkMatrixReference(
  workflow: Workflow,
  step: StepSpec,
  axis: string,
  path: (string | number)[],
  fail: Fail,
): void {
  if (!(axis in workflow.matrix)) {
    fail(
      path,
      `unknown matrix axis '${axis}'`,
      `declare it under the workflow's 'matrix:' (declared: ${
        Object.keys(workflow.matrix).join(", ") || "none"
      })`,
    );
  }
  if (!step.axes.includes(axis)) {
    fail(
      path,
      `step '${step.id}' uses \${{ matrix.${axis} }} but does not run over axis '${axis}'`,
      `add 'matrix: [${[...step.axes, axis].join(", ")}]' to step '${step.id}'`,
    );
  }
}

/** The default value of every parameter. */
export function defaultParams(workflow: Workflow): Record<string, unknown> {
  return Object.fromEntries(Object.entries(workflow.params).map(([name, decl]) => [name, decl.default]));
}

/** Applies `--set key=value` overrides, parsing each value as its parameter's declared type. */
export function applyOverrides(workflow: Workflow, sets: string[]): Record<string, unknown> {
  const values = defaultParams(workflow);
  for (const set of sets) {
    const eq = set.indexOf("=");
    const name = eq < 0 ? set : set.slice(0, eq);
    const decl = workflow.params[name];
    if (eq < 0 || !decl) {
      const hint = eq < 0
        ? "write --set name=value"
        : `declared parameters: ${Object.keys(workflow.params).join(", ") || "none"}`;
      throw new WorkflowError(
        workflow.file,
        workflow.locate(["params"]),
        `--set ${set}: unknown parameter '${name}'`,
        hint,
      );
    }
    const value = parseParamValue(decl.type, set.slice(eq + 1));
    if (value === undefined) {
      throw new WorkflowError(
        workflow.file,
        workflow.locate(["params", name]),
        `--set ${set}: '${name}' must be ${decl.type === "integer" ? "an" : "a"} ${decl.type}`,
        `give ${decl.type === "integer" ? "an" : "a"} ${decl.type} value`,
      );
    }
    values[name] = value;
  }
  return values;
}

function parseParamValue(type: ParamType, text: string): string | number | boolean | undefined {
  if (type === "string") return text;
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) return undefined;
  return type === "integer" && !Number.isInteger(value) ? undefined : value;
}

/** A stand-in for an output that does not exist yet, so `with:` can be checked before running. */
function placeholderRef(step: string, output: string, kind: "records" | "dir"): ArtifactRef {
  return { artifact: true, step, output, path: `<${step}.${output}>`, kind, sha256: "", count: 0 };
}

/**
 * Checks the matrix axes' values and every step instance's `with:` against its kind's schema, using the given
 * parameter values.
 */
export function checkStepParams(workflow: Workflow, params: Record<string, unknown>): void {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  for (const step of expandSteps(workflow, params)) {
    const resolved = resolveInstance(step, params, (id, output) => {
      const producer = byId.get(declaredStepId(id))!;
      return placeholderRef(id, output, producer.kind.outputs[output].kind);
    });
    const result = step.kind.params.safeParse(resolved);
    if (!result.success) {
      const issue = result.error.issues[0];
      const path = ["steps", step.index, "with", ...issuePath(issue)];
      const field = issue.path.length ? `'${issue.path.join(".")}'` : "'with'";
      throw new WorkflowError(
        workflow.file,
        workflow.locate(path),
        `step '${step.id}' (${step.kind.name}): ${field}: ${issue.message}`,
        `see '${step.kind.name}' in the README's step reference`,
      );
    }
  }
}

/** Reads and checks a workflow file. A bare name like `score.yaml` is looked up in `workflows/`. */
export async function loadWorkflow(fileOrName: string, registry: StepRegistry): Promise<Workflow> {
  const file = await findWorkflowFile(fileOrName);
  const source = await Deno.readTextFile(file);
  return parseWorkflow(source, file, registry);
}

async function findWorkflowFile(fileOrName: string): Promise<string> {
  const candidates = fileOrName.includes("/") ? [fileOrName] : [fileOrName, `workflows/${fileOrName}`];
  for (const candidate of candidates) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // try the next candidate
    }
  }
  throw new WorkflowError(
    fileOrName,
    { line: 1, col: 1 },
    "workflow file not found",
    `looked in: ${candidates.join(", ")}`,
  );
}
