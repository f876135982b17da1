/**
 * `pipeline plan FILE [--set k=v ...] [--memory-gb N] [--prompt-tokens N]`: before anything runs, the
 * estimated peak memory of every step that loads a model (training/memory_plan.ts: CPU provider, host =
 * device) with its largest parts, and a refusal (exit 2) when a step does not fit, naming the setting to
 * change. Prompt lengths depend on the data, so they are one assumption (`--prompt-tokens`, default 512).
 *
 * @module
 */
import { join } from "node:path";
import { readModelConfig } from "../model/checkpoint.ts";
import { LlamaConfig } from "../model/config.ts";
import { formatBytes } from "../inference/memory.ts";
import { type LoraSettings, resolveLora } from "../training/lora_settings.ts";
import {
  estimateStepMemory,
  type StepMemoryEstimate,
  type StepMemoryShape,
} from "../training/memory_plan.ts";
import { declaredStepId, expandSteps, resolveInstance } from "../workflow/matrix.ts";
import { applyOverrides, loadWorkflow } from "../workflow/spec.ts";
import type { ArtifactRef } from "../workflow/step.ts";
import { parseFlags, UsageError } from "../util/args.ts";
import { type CliContext, EXIT } from "./workflow.ts";

/** A step's parsed `with:` (the fields the plan reads). */
type StepParams = Record<string, unknown>;

/** One planned step. */
export interface PlannedStep {
  id: string;
  kind: string;
  estimate: StepMemoryEstimate;
  lora: boolean;
}

const TRAINING_KINDS = new Set(["sft", "score.stage1", "score.stage2", "score.single_turn"]);
const PLANNED_KINDS = new Set([...TRAINING_KINDS, "eval.selfcorrect"]);

/** Memory of this machine, the default budget on the CPU provider. */
function hostMemoryBytes(): number {
  return Deno.systemMemoryInfo().total;
}

/**
 * Plans the steps of a workflow that load a model.
 *
 * @example
 * ```ts ignore
 * const steps = await planWorkflow("workflows/score-math.yaml", ["model_dir=models/qwen0.5b"], registry, 512);
 * ```
 */
export async function planWorkflow(
  file: string,
  sets: string[],
  context: CliContext,
  promptTokens: number,
): Promise<PlannedStep[]> {
  const workflow = await loadWorkflow(file, await context.stepKinds());
  const params = applyOverrides(workflow, sets);
  const instances = expandSteps(workflow, params);
  const parsed = new Map<string, { kind: string; params: StepParams }>();
  for (const instance of instances) {
    const resolved = resolveInstance(instance, params, (id, output): ArtifactRef => ({
      artifact: true,
      step: id,
      output,
      path: `<${id}.${output}>`,
      kind: "dir",
      sha256: "",
      count: 0,
    }));
    const result = instance.kind.params.safeParse(resolved);
    if (!result.success) {
      throw new UsageError(`step '${instance.id}': ${result.error.issues[0].message}; run validate`);
    }
    parsed.set(instance.id, { kind: instance.kind.name, params: result.data as StepParams });
  }
  const configOf = async (model: unknown, seen: number): Promise<LlamaConfig> => {
    if (typeof model === "string") return await readModelConfig(join(model, "config.json"));
    const ref = model as ArtifactRef;
    const producer = parsed.get(ref.step) ?? parsed.get(declaredStepId(ref.step));
    if (producer?.kind === "model.init") return LlamaConfig.parse(producer.params.config);
    if (!producer || seen > 20 || !("model" in producer.params)) {
      throw new UsageError(`cannot tell which model step '${ref.step}' outputs; give the model as a path`);
    }
    return await configOf(producer.params.model, seen + 1);
  };
  const planned: PlannedStep[] = [];
  for (const [id, { kind, params: p }] of parsed) {
    if (!PLANNED_KINDS.has(kind)) continue;
    const config = await configOf(p.model, 0);
    const shape = stepShape(kind, p, config, promptTokens);
    planned.push({ id, kind, estimate: estimateStepMemory(shape), lora: shape.lora !== undefined });
  }
  return planned;
}

/** What a step of `kind` with settings `p` runs, for the estimate. */
function stepShape(kind: string, p: StepParams, config: LlamaConfig, promptTokens: number): StepMemoryShape {
  const num = (name: string, fallback: number) => typeof p[name] === "number" ? p[name] as number : fallback;
  const trains = TRAINING_KINDS.has(kind);
  const lora = trains ? resolveLora(p.lora as LoraSettings, config)?.options : undefined;
  const newTokens = num("max_new_tokens", 256);
  const rows = num("microbatch_rows", 16);
  if (kind === "sft") {
    return {
      config,
      lora,
      trains,
      reference: false,
      generates: false,
      microbatchRows: rows,
      maxRowTokens: promptTokens + newTokens,
      lossTokens: rows * newTokens,
    };
  }
  const sequences = num(kind === "eval.selfcorrect" ? "batch_size" : "generation_batch_size", 32);
  // LoRA over the reference's own weights scores the reference inside the training graph
  const sameModel = JSON.stringify(p.model) === JSON.stringify(p.reference);
  // attempt 2's prompt holds the problem, attempt 1 and the instruction
  const longestPrompt = promptTokens + newTokens;
  return {
    config,
    lora,
    trains,
    reference: trains && !(lora && sameModel),
    generates: true,
    microbatchRows: rows,
    maxRowTokens: longestPrompt + newTokens,
    lossTokens: rows * newTokens,
    generation: {
      sequences,
      prompts: Math.max(1, Math.floor(sequences / num("samples_per_problem", 1))),
      maxPromptTokens: longestPrompt,
      maxNewTokens: newTokens,
    },
  };
}

/** The setting to change for a step whose largest part is `part`. */
function advice(kind: string, part: string, lora: boolean): string {
  if (part.startsWith("training activations") || part.startsWith("logits")) return "lower microbatch_rows";
  if (part.startsWith("generation batch")) {
    return kind === "eval.selfcorrect" ? "lower batch_size or max_new_tokens" : "lower generation_batch_size";
  }
  if (part.startsWith("trained parameters") && !lora) return "set lora: { enabled: true }";
  return "use a machine with more memory (or a smaller model)";
}

/** `pipeline plan`: prints the estimates; exit 2 when a step does not fit the budget. */
export async function planCommand(args: string[], context: CliContext): Promise<number> {
  const { values, positionals } = parseFlags({
    args,
    allowPositionals: true,
    options: {
      set: { type: "string", multiple: true, default: [] },
      "memory-gb": { type: "string" },
      "prompt-tokens": { type: "string", default: "512" },
    },
  });
  if (positionals.length !== 1) {
    throw new UsageError("usage: pipeline plan FILE [--set k=v ...] [--memory-gb N] [--prompt-tokens N]");
  }
  const budget = values["memory-gb"] ? Number(values["memory-gb"]) * 1024 ** 3 : hostMemoryBytes();
  const promptTokens = Number(values["prompt-tokens"]);
  if (!(budget > 0) || !(promptTokens > 0)) {
    throw new UsageError("--memory-gb and --prompt-tokens must be > 0");
  }
  const steps = await planWorkflow(positionals[0], values.set, context, promptTokens);
  console.log(
    `peak memory per step (CPU provider estimate; prompts of ${promptTokens} tokens assumed), budget ` +
      `${formatBytes(budget)}:`,
  );
  let refused = 0;
  for (const step of steps) {
    const fits = step.estimate.peak <= budget;
    const top = step.estimate.parts.slice(0, 3).map((p) => `${p.name} ${formatBytes(p.bytes)}`).join(", ");
    console.log(
      `  ${step.id} (${step.kind}${step.lora ? ", LoRA" : ""}): ${formatBytes(step.estimate.peak)} ` +
        `${fits ? "fits" : "DOES NOT FIT"}; largest: ${top}`,
    );
    if (!fits) {
      refused++;
      console.log(`    to fit: ${advice(step.kind, step.estimate.parts[0].name, step.lora)}`);
    }
  }
  if (refused > 0) {
    console.error(
      `error: ${refused} step(s) do not fit ${formatBytes(budget)}; change the settings named above`,
    );
    return EXIT.badInput;
  }
  return EXIT.done;
}
