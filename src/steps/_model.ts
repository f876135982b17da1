/**
 * Helpers shared by the step kinds that load a model: the model parameter, the provider setting and the
 * loader that logs a provider fallback into the step's log.
 *
 * @module
 */
import { z } from "zod";
import { GenerationModel } from "../inference/model.ts";
import { SamplingParams } from "../inference/settings.ts";
import { PROVIDERS } from "../model/runtime.ts";
import { ArtifactRef, PathParam, type StepContext } from "../workflow/step.ts";

/**
 * A model given as a `dir` artifact (a checkpoint step's output) or as a path (its files are part of the
 * cache key).
 *
 * @example
 * ```ts
 * import { ModelParam } from "./_model.ts";
 * const params = ModelParam.parse("models/toy");
 * ```
 */
export const ModelParam = z.union([ArtifactRef, PathParam]);

/** The outputs of every training step kind: the trained model directory and its per-update curves. */
export const TRAINED_MODEL_OUTPUTS = {
  model: { kind: "dir", description: "the trained model directory" },
  metrics: { kind: "records", description: "{stage, name, step, value} per update" },
} as const;

/**
 * The parameters of the sampling step kinds (`generate`, `correct`): the sampling settings, the model, and
 * the prompts per durable commit (default: four generator batches).
 */
export const SamplingStepParams = SamplingParams.extend({
  model: ModelParam,
  items_per_commit: z.number().int().positive().optional(),
});

/** The execution provider a training or evaluation step runs on (default cpu). */
export const ProviderParam = z.enum(PROVIDERS).default("cpu");

/**
 * The path of a model parameter.
 *
 * @example
 * ```ts
 * import { modelPath } from "./_model.ts";
 * modelPath("models/toy"); // "models/toy"
 * ```
 */
export function modelPath(model: z.infer<typeof ModelParam>): string {
  return typeof model === "string" ? model : model.path;
}

/**
 * Loads the model of a step's parameters on its provider, logging any fallback.
 *
 * @example
 * ```ts ignore
 * const model = await loadStepModel(ctx, ctx.params.model, ctx.params);
 * ```
 */
export function loadStepModel(
  ctx: StepContext<unknown>,
  model: z.infer<typeof ModelParam>,
  params: SamplingParams,
): Promise<GenerationModel> {
  return GenerationModel.load(modelPath(model), {
    provider: params.provider,
    fallback: params.provider_fallback,
    log: (message) => ctx.log(message),
  });
}

/**
 * Prompts per durable commit: enough to keep the generator's batches full.
 *
 * @example
 * ```ts ignore
 * itemsPerCommit({ ...params, batch_size: 16, n: 4 }); // 16
 * ```
 */
export function itemsPerCommit(params: SamplingParams, requested?: number): number {
  return requested ?? Math.max(1, Math.floor(params.batch_size / params.n)) * 4;
}
