/**
 * Step kind `sft`: supervised fine-tuning of a model directory on SFT records (solutions and two-attempt
 * traces, {@link SftExample}), with Adam. Used for the toy base model and for the STaR and Pair-SFT baselines.
 * Checkpoints (weights, Adam state, next update) every `checkpoint_every` updates; a resumed run continues
 * with the same batches.
 *
 * @module
 */
import { z } from "zod";
import { TrainingSession } from "../model/llama/sessions.ts";
import { join } from "node:path";
import { resolveLora } from "../training/lora_settings.ts";
import { loadPolicy } from "../training/policy.ts";
import { PromptEncoder, PromptSettings } from "../training/prompts.ts";
import { sftRows, SftSettings, trainSft } from "../training/sft.ts";
import { SftExample } from "../training/sft_example.ts";
import { writeTrainingState } from "../training/training_state.ts";
import { ArtifactRef, defineStep, readRecords } from "../workflow/step.ts";
import { ModelParam, modelPath, ProviderParam, TRAINED_MODEL_OUTPUTS } from "./_model.ts";
import { LoraParam, saveTrainedModel, trainedParameters } from "./_lora.ts";

/** What an SFT checkpoint's metadata holds. */
interface SftCheckpointMeta {
  nextStep: number;
  history: { step: number; loss: number }[];
}

/** The `sft` step kind. */
export const sft = defineStep({
  name: "sft",
  source: import.meta.url,
  description: "Supervised fine-tuning on solution and trace records (Adam), writing a model directory.",
  params: z.strictObject({
    ...SftSettings.shape,
    model: ModelParam,
    /** SFT records (any number of artifacts, concatenated). */
    data: z.array(ArtifactRef).min(1),
    prompts: PromptSettings,
    provider: ProviderParam,
    /** LoRA adapters over frozen base weights (on by default from 100M parameters). */
    lora: LoraParam,
    checkpoint_every: z.number().int().positive().default(100),
    /** Stage name of the `metrics` records (the report's curve label). */
    stage: z.string().default("sft"),
  }),
  outputs: TRAINED_MODEL_OUTPUTS,
  async run(ctx) {
    const params = ctx.params;
    const policy = await loadPolicy(modelPath(params.model));
    const examples = (await Promise.all(params.data.map((ref) => readRecords(ref)))).flat()
      .map((record, i) => parseExample(record, i));
    if (examples.length === 0) {
      throw new Error("sft: the data artifacts hold no records; check the data step");
    }
    const rows = sftRows(examples, new PromptEncoder(policy), params.prompts);
    const resume = await ctx.latestCheckpoint<SftCheckpointMeta>();
    const lora = resolveLora(params.lora, policy.config);
    const { params: trained, adamState } = await trainedParameters(policy, lora, params.seed, resume?.dir);
    const history = resume?.meta.history ?? [];
    const session = await TrainingSession.create(policy.config, {
      provider: params.provider,
      lora: lora?.options,
      frozen: lora ? policy.weights : undefined,
      loraDropout: lora && lora.dropout > 0 ? { rate: lora.dropout, seed: params.seed } : undefined,
      graphDir: lora ? join(ctx.workDir, "training-graph") : undefined,
    });
    // with LoRA the graph holds the frozen weights; they are reloaded for the merge at the end
    if (lora) policy.weights = new Map();
    ctx.log(
      `sft: ${rows.length} examples, ${params.steps} updates${
        resume ? `, resuming at ${resume.meta.nextStep}` : ""
      }`,
    );
    try {
      await trainSft(session, trained, rows, params, {
        startStep: resume?.meta.nextStep ?? 0,
        adamState,
        signal: ctx.signal,
        onStep: async (report, adam) => {
          history.push({ step: report.step, loss: report.loss });
          ctx.metric(`${params.stage}/loss`, report.loss, report.step);
          ctx.progress(report.step + 1, params.steps);
          const next = report.step + 1;
          if (next % params.checkpoint_every === 0 && next < params.steps) {
            const meta = { nextStep: next, history };
            await ctx.saveCheckpoint(
              next,
              meta,
              (dir) =>
                writeTrainingState(dir, { config: policy.config, weights: trained }, adam.exportState()),
            );
          }
        },
      });
    } finally {
      await session.release();
    }
    await saveTrainedModel(await ctx.dir("model"), policy, lora, trained, modelPath(params.model));
    const metrics = await ctx.records("metrics");
    await metrics.writeAll(
      history.map((h) => ({ stage: params.stage, name: "loss", step: h.step, value: h.loss })),
    );
    const last = history.at(-1);
    if (last) ctx.log(`sft: final loss ${last.loss.toFixed(4)}`);
  },
});

function parseExample(record: unknown, index: number): SftExample {
  const parsed = SftExample.safeParse(record);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`sft: data record ${index + 1}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return parsed.data;
}
