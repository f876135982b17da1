/**
 * Matrix steps: a step that runs once per value of one or more axes (for example one instance per seed), as
 * in CI workflow files.
 *
 * The workflow declares its axes under `matrix:` (a list of values, or `{ from, count }` for consecutive
 * integers; both may use `${{ params.NAME }}`); a step lists the axes it runs over in its own `matrix:`.
 * {@link expandSteps} turns the declared steps into the steps the engine runs, one per combination of axis
 * values, named like `base[seed=1]`. Each instance is a step of its own in the run store (own cache key, own
 * outputs, logs and resume). A reference to a matrix step's output from an instance with the same axis values
 * gets that instance's output; from a step that lacks some of the producer's axes it gets a list of
 * references in axis order, each carrying its axis values in `matrix`.
 *
 * @example
 * ```yaml
 * params:
 *   seeds: { type: integer, default: 3 }
 * matrix:
 *   seed: { from: 0, count: "${{ params.seeds }}" }
 * steps:
 *   - { id: train, uses: test.work, matrix: [seed], with: { items: 3, seed: "${{ matrix.seed }}" } }
 *   - id: summary # its `inputs` are three references, to train[seed=0], train[seed=1], train[seed=2]
 *     uses: test.work
 *     needs: [train]
 *     with: { items: 1, inputs: "${{ steps.train.outputs.results }}" }
 * ```
 *
 * @module
 */
import { WorkflowError } from "./errors.ts";
import { findReferences, resolveReferences } from "./refs.ts";
import type { StepSpec, Workflow } from "./spec.ts";
import type { ArtifactRef, MatrixValues } from "./step.ts";

/** A value of a matrix axis. */
export type MatrixValue = MatrixValues[string];

/** A matrix axis as declared (parameter references not yet resolved). */
export type AxisDecl = { values: unknown[] } | { from: unknown; count: unknown };

/** Reports a mistake at a path of the workflow file. */
export type Fail = (path: (string | number)[], problem: string, hint: string) => never;

const AXIS_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** String values must be usable in step ids and directory names. */
const SAFE_TEXT = /^[A-Za-z0-9._-]+$/;
const AXIS_HINT = "write a list, seed: [0, 1, 2], or a range, seed: { from: 0, count: 3 }";

/** Checks one axis of the workflow's `matrix:`. */
export function parseAxis(name: string, raw: unknown, params: readonly string[], fail: Fail): AxisDecl {
  const path = ["matrix", name];
  if (!AXIS_NAME.test(name)) {
    fail(
      path,
      `matrix axis name '${name}' is not valid`,
      "use letters, digits and '_', starting with a letter",
    );
  }
  for (const found of findReferences(raw)) {
    const ref = found.reference;
    if (typeof ref === "string" || ref.type !== "param") {
      fail(
        [...path, ...found.path],
        `matrix axis '${name}': only \${{ params.NAME }} may be used here`,
        AXIS_HINT,
      );
    }
    if (!params.includes(ref.name)) {
      fail(
        [...path, ...found.path],
        `matrix axis '${name}': unknown parameter '${ref.name}'`,
        `declare it under 'params:' (declared: ${params.join(", ") || "none"})`,
      );
    }
  }
  if (Array.isArray(raw)) {
    if (raw.length === 0) fail(path, `matrix axis '${name}' has no values`, AXIS_HINT);
    return { values: raw };
  }
  if (raw !== null && typeof raw === "object") {
    const keys = Object.keys(raw);
    const unknown = keys.find((key) => key !== "from" && key !== "count");
    if (unknown) fail([...path, unknown], `unknown key '${unknown}' in matrix axis '${name}'`, AXIS_HINT);
    const missing = ["from", "count"].find((key) => !keys.includes(key));
    if (missing) fail(path, `matrix axis '${name}' has no '${missing}'`, AXIS_HINT);
    const range = raw as { from: unknown; count: unknown };
    return { from: range.from, count: range.count };
  }
  return fail(path, `matrix axis '${name}' must be a list of values or { from, count }`, AXIS_HINT);
}

/** Checks a step's `matrix:` (the axes it runs over) against the declared axes. */
export function checkStepAxes(step: StepSpec, declared: readonly string[], fail: Fail): void {
  step.axes.forEach((axis, i) => {
    const path = ["steps", step.index, "matrix", i];
    if (!declared.includes(axis)) {
      fail(
        path,
        `step '${step.id}' runs over unknown matrix axis '${axis}'`,
        `declare it under the workflow's 'matrix:' (declared: ${declared.join(", ") || "none"})`,
      );
    }
    if (step.axes.indexOf(axis) !== i) {
      fail(path, `step '${step.id}' lists axis '${axis}' twice`, "list it once");
    }
  });
}

/** The values of every axis, with the given parameter values. Throws {@link WorkflowError} on bad values. */
export function axisValues(
  workflow: Workflow,
  params: Record<string, unknown>,
): Record<string, MatrixValue[]> {
  const fail: Fail = (path, problem, hint) => {
    throw new WorkflowError(workflow.file, workflow.locate(path), problem, hint);
  };
  const axes: Record<string, MatrixValue[]> = {};
  for (const [name, decl] of Object.entries(workflow.matrix)) {
    const resolved = resolveReferences(decl, {
      param: (p) => params[p],
      matrix: () => undefined,
      output: () => [],
    }) as AxisDecl;
    axes[name] = "values" in resolved
      ? listValues(name, resolved.values, fail)
      : rangeValues(name, resolved, fail);
  }
  return axes;
}

function rangeValues(name: string, range: { from: unknown; count: unknown }, fail: Fail): number[] {
  const { from, count } = range;
  if (!Number.isInteger(from)) {
    fail(
      ["matrix", name, "from"],
      `matrix axis '${name}': from ${JSON.stringify(from)} is not an integer`,
      AXIS_HINT,
    );
  }
  if (!Number.isInteger(count) || (count as number) < 1) {
    fail(
      ["matrix", name, "count"],
      `matrix axis '${name}': count ${JSON.stringify(count)} is not an integer of at least 1`,
      "give at least one value (check --set and the parameter's default)",
    );
  }
  return Array.from({ length: count as number }, (_, i) => (from as number) + i);
}

function listValues(name: string, values: unknown[], fail: Fail): MatrixValue[] {
  const seen = new Set<string>();
  values.forEach((value, i) => {
    const path = ["matrix", name, i];
    const scalar = typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) ||
      (typeof value === "string" && SAFE_TEXT.test(value));
    if (!scalar) {
      fail(
        path,
        `matrix axis '${name}': value ${JSON.stringify(value)} is not a number, a boolean or a plain word`,
        "strings may hold letters, digits, '.', '_' and '-' (they become part of step ids and directory names)",
      );
    }
    const text = String(value);
    if (seen.has(text)) {
      fail(path, `matrix axis '${name}': value ${text} is listed twice`, "list each value once");
    }
    seen.add(text);
  });
  return values as MatrixValue[];
}

/** The id of an instance: the step's id with its axis values, `base[seed=1]` (just the id without axes). */
export function instanceId(stepId: string, values: MatrixValues): string {
  const entries = Object.entries(values);
  if (entries.length === 0) return stepId;
  return `${stepId}[${entries.map(([axis, value]) => `${axis}=${value}`).join(",")}]`;
}

/** The declared step id of an instance id: `base[seed=1]` -> `base`. */
export function declaredStepId(id: string): string {
  const bracket = id.indexOf("[");
  return bracket < 0 ? id : id.slice(0, bracket);
}

/** The axis values of an instance id, as text: `base[seed=1,lr=0.1]` -> `{ seed: "1", lr: "0.1" }`. */
export function instanceValues(id: string): Record<string, string> {
  const bracket = id.indexOf("[");
  if (bracket < 0 || !id.endsWith("]")) return {};
  return Object.fromEntries(id.slice(bracket + 1, -1).split(",").map((pair) => pair.split("=", 2)));
}

/** Whether two instances' values are equal on every axis both have. */
function agree(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  return Object.keys(a).every((axis) => !(axis in b) || String(a[axis]) === String(b[axis]));
}

/**
 * The needs of each instance, from instance ids and the declared steps' needs alone (for migrating stores
 * written before `steps.needs` existed, which have no step kinds at hand): an instance needs the instances of each needed step whose
 * values agree with its own on the axes they share, as in {@link expandSteps}.
 */
export function instanceNeeds(
  ids: readonly string[],
  declared: ReadonlyMap<string, readonly string[]>,
): Map<string, string[]> {
  return new Map(ids.map((id) => {
    const own = instanceValues(id);
    const needs = (declared.get(declaredStepId(id)) ?? []).flatMap((need) =>
      ids.filter((other) => declaredStepId(other) === need && agree(instanceValues(other), own))
    );
    return [id, needs];
  }));
}

/** A directory (and file) name for a step id: `base[seed=1]` -> `base@seed=1`; plain ids are unchanged. */
export function stepDirName(id: string): string {
  return id.replace("[", "@").replace(/\]$/, "");
}

/** The producing instances a `steps.ID` reference of an instance resolves to. */
export interface Source {
  /** True when the reference gives a list (the consumer lacks some of the producer's axes). */
  list: boolean;
  /** The producing instances in axis order. */
  instances: { id: string; values: MatrixValues }[];
}

/** A step as the engine runs it: a step without matrix, or one instance of a matrix step. */
export interface StepInstance extends StepSpec {
  /** The id in the workflow file; `id` adds the axis values, for example `base[seed=1]`. */
  declaredId: string;
  /** This instance's axis values (empty for a step without matrix). */
  values: MatrixValues;
  /** For each step in `needs`, the instances its references resolve to. */
  sources: Record<string, Source>;
}

/** Every combination of the given axes' values, the first axis varying slowest. */
function combinations(axes: readonly string[], values: Record<string, MatrixValue[]>): MatrixValues[] {
  let out: MatrixValues[] = [{}];
  for (const axis of axes) {
    out = out.flatMap((partial) => values[axis].map((v) => ({ ...partial, [axis]: v })));
  }
  return out;
}

/**
 * The steps the engine runs: every step without matrix once, every matrix step once per combination of its
 * axes' values (in file order, then axis order), with `needs` naming instances. An instance needs the
 * instances of each needed step whose values agree with its own on the axes they share.
 */
export function expandSteps(workflow: Workflow, params: Record<string, unknown>): StepInstance[] {
  const values = axisValues(workflow, params);
  const axisOrder = Object.keys(workflow.matrix);
  const axesOf = new Map(
    workflow.steps.map((step) => [step.id, axisOrder.filter((axis) => step.axes.includes(axis))]),
  );
  const instancesOf = new Map(
    workflow.steps.map((step) => [
      step.id,
      combinations(axesOf.get(step.id)!, values).map((v) => ({ id: instanceId(step.id, v), values: v })),
    ]),
  );
  return workflow.steps.flatMap((step) =>
    instancesOf.get(step.id)!.map(({ id, values: own }) => {
      const sources: Record<string, Source> = {};
      for (const need of step.needs) {
        const producerAxes = axesOf.get(need)!;
        sources[need] = {
          list: producerAxes.some((axis) => !step.axes.includes(axis)),
          instances: instancesOf.get(need)!.filter((p) => agree(p.values, own)),
        };
      }
      const needs = Object.values(sources).flatMap((source) => source.instances.map((p) => p.id));
      return { ...step, id, declaredId: step.id, values: own, sources, needs };
    })
  );
}

/**
 * Resolves an instance's `with:`: parameters, its axis values, and outputs (`output` gives the output of an
 * instance id). References to matrix steps carry the producer's axis values in `matrix`.
 */
export function resolveInstance(
  instance: StepInstance,
  params: Record<string, unknown>,
  output: (instanceId: string, output: string) => ArtifactRef,
): unknown {
  return resolveReferences(instance.with, {
    param: (name) => params[name],
    matrix: (name) => instance.values[name],
    output: (step, name) => {
      const source = instance.sources[step];
      const refs = source.instances.map((p) => withValues(output(p.id, name), p.values));
      return source.list ? refs : refs[0];
    },
  });
}

function withValues(ref: ArtifactRef, values: MatrixValues): ArtifactRef {
  return Object.keys(values).length === 0 ? ref : { ...ref, matrix: values };
}
