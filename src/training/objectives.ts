/**
 * SCoRe's objectives as per-attempt weights for the training graph.
 *
 * The training graph minimises, over the tokens of a batch,
 *
 *     loss = sum(-token_weight * log pi(token)) + sum(kl_weight * k3(log pi(token), log pi_ref(token)))
 *
 * so a REINFORCE objective with a KL penalty is fully described by two numbers per attempt of a rollout: the
 * policy weight every token of that attempt gets (its reward, or advantage) and the KL weight (a beta). This
 * module computes those numbers from rewards; {@link ./token_weights.ts} spreads them over token positions.
 *
 * - Stage I: only attempt 2 is rewarded (weight r2); attempt 1 is held near the base model by the strong
 *   beta2 KL, attempt 2 gets the usual beta1 KL.
 * - Stage II: both attempts are rewarded with their own instantaneous reward (no return across attempts):
 *   attempt 1 gets r1, attempt 2 gets r2 plus the bonus alpha * (r2 - r1); beta1 KL on both.
 * - Single-turn (an ablation): one attempt, weight r1, beta1 KL.
 *
 * Each attempt is scored as an action given its context: the gradient of attempt 2's term does not flow into
 * attempt 1's sampling. The tests in objectives_test.ts write the resulting expected gradients down in closed
 * form for a tiny softmax policy and check the weights reproduce them exactly.
 *
 * Options beyond the paper, each off by default: a leave-one-out baseline over the samples of the same problem;
 * `second_attempt_mean`, which draws several second attempts per first attempt and gives each the mean reward
 * of its siblings as baseline (attempt 1 keeps the leave-one-out baseline over the problem's first attempts);
 * Stage II's `stage2_scale: one_plus_alpha`, which divides both attempts' policy weights by (1 + alpha); and
 * attempt-1 samples drawn from the base model (the paper's section 5.3), which are off-policy and so get
 * neither a policy nor a KL weight, serving only as context for attempt 2.
 *
 * Why `second_attempt_mean`: attempt 2's shaped reward r2 + alpha (r2 - r1) carries -alpha r1, which is fixed
 * once attempt 1 is drawn; the mean over second attempts of the same attempt 1 carries the same term, so the
 * advantage (1 + alpha) (r2 - mean r2 of the siblings) cancels r1 exactly, whereas a baseline over the
 * problem's other samples (whose r1 differ) leaves it as noise.
 *
 * Why `stage2_scale`: Stage II's shaped advantages reach about 1 + alpha = 11 while Stage I's reach 1, so with
 * the same beta1 the KL term is in effect (1 + alpha) times weaker relative to the reward in Stage II; dividing
 * the policy weights by (1 + alpha) is the same as multiplying beta1 by (1 + alpha) (with Adam, whose steps do
 * not depend on the loss's overall scale) and keeps the two stages' KL strengths comparable.
 *
 * @module
 */
import { z } from "zod";

/** Settings of the SCoRe objectives, with the paper's MATH values as defaults (beta2 is 0.25 for code). */
export const ObjectiveSettings = z.object({
  /** Reward-shaping coefficient of Stage II's bonus alpha * (r2 - r1). */
  alpha: z.number().nonnegative().default(10),
  /** The small KL coefficient (both attempts in Stage II, attempt 2 in Stage I, single-turn training). */
  beta1: z.number().nonnegative().default(0.01),
  /** Stage I's strong KL coefficient on attempt 1. */
  beta2: z.number().nonnegative().default(0.1),
  /**
   * `none` (the paper: instantaneous rewards); `leave_one_out`: subtract from each sample's reward the mean
   * reward of the other samples of the same problem in the batch (0 when it has no such sample);
   * `second_attempt_mean`: as `leave_one_out` for attempt 1, and for attempt 2 the mean reward of the other
   * second attempts drawn after the same attempt 1 (needs `second_attempts` of at least 2).
   */
  baseline: z.enum(["none", "leave_one_out", "second_attempt_mean"]).default("none"),
  /** Stage II: `one_plus_alpha` divides both attempts' policy weights by (1 + alpha); `none` (the paper). */
  stage2_scale: z.enum(["none", "one_plus_alpha"]).default("none"),
});
/** Settings of the SCoRe objectives. */
export type ObjectiveSettings = z.infer<typeof ObjectiveSettings>;

/** The verdicts of one two-attempt rollout. */
export interface RolloutRewards {
  /** The problem's id: samples of one problem form a group for the leave-one-out baseline. */
  problem: string;
  /** Reward of attempt 1 (1 right, 0 wrong, or any real number). */
  reward1: number;
  /** Reward of attempt 2. */
  reward2: number;
  /** True when attempt 1 was sampled from the base model rather than the policy (paper, section 5.3). */
  attempt1FromBase?: boolean;
  /**
   * Names the rollout's attempt 1: rollouts with the same key share one attempt 1 and differ in attempt 2
   * (the group of the `second_attempt_mean` baseline). Defaults to a key of its own.
   */
  attempt1Key?: string;
  /** True when this rollout's attempt 1 is an earlier rollout's (same key): it gets no attempt-1 weights. */
  attempt1Repeat?: boolean;
}

/** The two numbers every token of one attempt gets in the training graph. */
export interface AttemptWeights {
  /** token_weights: the reward or advantage multiplying -log pi. */
  policy: number;
  /** kl_weights: the beta multiplying the k3 KL estimate. */
  kl: number;
}

/** Weights of both attempts of a rollout. */
export interface RolloutWeights {
  attempt1: AttemptWeights;
  attempt2: AttemptWeights;
}

/** Stage II's shaped reward of attempt 2: r2 + alpha * (r2 - r1). */
export function shapedReward(reward1: number, reward2: number, alpha: number): number {
  return reward2 + alpha * (reward2 - reward1);
}

/**
 * Leave-one-out baselines: for each sample, the mean value of the other included samples of its group, or 0
 * when there is none. Samples with `include[i] === false` get a baseline but do not contribute to others'.
 */
export function leaveOneOutBaselines(
  values: readonly number[],
  groups: readonly string[],
  include: readonly boolean[] = values.map(() => true),
): number[] {
  if (groups.length !== values.length || include.length !== values.length) {
    throw new Error(
      `leaveOneOutBaselines: ${values.length} values but ${groups.length} groups and ${include.length} flags`,
    );
  }
  const sums = new Map<string, { sum: number; count: number }>();
  values.forEach((value, i) => {
    if (!include[i]) return;
    const total = sums.get(groups[i]) ?? { sum: 0, count: 0 };
    total.sum += value;
    total.count += 1;
    sums.set(groups[i], total);
  });
  return values.map((value, i) => {
    const total = sums.get(groups[i]) ?? { sum: 0, count: 0 };
    const sum = include[i] ? total.sum - value : total.sum;
    const count = include[i] ? total.count - 1 : total.count;
    return count > 0 ? sum / count : 0;
  });
}

/**
 * Subtracts the leave-one-out baseline over `groups` from per-sample returns (unchanged when `groups` is
 * undefined, the `none` baseline).
 */
function advantages(
  returns: readonly number[],
  groups: readonly string[] | undefined,
  include?: readonly boolean[],
): number[] {
  if (!groups) return [...returns];
  const baselines = leaveOneOutBaselines(returns, groups, include);
  return returns.map((value, i) => value - baselines[i]);
}

/** The baseline groups of first attempts (by problem), or undefined without a baseline. */
function attempt1Groups(rollouts: readonly { problem: string }[], settings: ObjectiveSettings) {
  return settings.baseline === "none" ? undefined : rollouts.map((rollout) => rollout.problem);
}

/** The baseline groups of second attempts: by problem, by shared attempt 1, or undefined without a baseline. */
function attempt2Groups(rollouts: readonly RolloutRewards[], settings: ObjectiveSettings) {
  if (settings.baseline === "none") return undefined;
  if (settings.baseline === "leave_one_out") return rollouts.map((rollout) => rollout.problem);
  const keys = rollouts.map((rollout, i) => rollout.attempt1Key ?? `#${i}`);
  const sizes = new Map<string, number>();
  for (const key of keys) sizes.set(key, (sizes.get(key) ?? 0) + 1);
  if ([...sizes.values()].some((size) => size < 2)) {
    throw new Error(
      "baseline second_attempt_mean: an attempt 1 has a single attempt 2, so its baseline would be 0; " +
        "set second_attempts to 2 or more, or use baseline leave_one_out",
    );
  }
  return keys;
}

/** True for the rollouts whose attempt 1 is the policy's own sample, counted once. */
function onPolicyAttempt1(rollouts: readonly RolloutRewards[]): boolean[] {
  return rollouts.map((rollout) => rollout.attempt1FromBase !== true && rollout.attempt1Repeat !== true);
}

/**
 * Stage I weights: attempt 1 {policy 0, kl beta2}, attempt 2 {policy r2 (minus baseline), kl beta1}. An
 * attempt 1 drawn from the base model gets no KL weight (its tokens are not samples of the policy).
 */
export function stage1Weights(
  rollouts: readonly RolloutRewards[],
  settings: ObjectiveSettings,
): RolloutWeights[] {
  const onPolicy = onPolicyAttempt1(rollouts);
  const attempt2 = advantages(rollouts.map((r) => r.reward2), attempt2Groups(rollouts, settings));
  return rollouts.map((_, i) => ({
    attempt1: { policy: 0, kl: onPolicy[i] ? settings.beta2 : 0 },
    attempt2: { policy: attempt2[i], kl: settings.beta1 },
  }));
}

/**
 * Stage II weights: attempt 1 {policy r1, kl beta1}, attempt 2 {policy r2 + alpha * (r2 - r1), kl beta1},
 * each minus its baseline when one is configured, and divided by (1 + alpha) with `stage2_scale:
 * one_plus_alpha`. An attempt 1 drawn from the base model, or repeated, gets zero weights.
 */
export function stage2Weights(
  rollouts: readonly RolloutRewards[],
  settings: ObjectiveSettings,
): RolloutWeights[] {
  const onPolicy = onPolicyAttempt1(rollouts);
  const attempt1 = advantages(rollouts.map((r) => r.reward1), attempt1Groups(rollouts, settings), onPolicy);
  const shaped = rollouts.map((r) => shapedReward(r.reward1, r.reward2, settings.alpha));
  const attempt2 = advantages(shaped, attempt2Groups(rollouts, settings));
  const scale = settings.stage2_scale === "one_plus_alpha" ? 1 / (1 + settings.alpha) : 1;
  return rollouts.map((_, i) => ({
    attempt1: onPolicy[i] ? { policy: attempt1[i] * scale, kl: settings.beta1 } : { policy: 0, kl: 0 },
    attempt2: { policy: attempt2[i] * scale, kl: settings.beta1 },
  }));
}

/** The verdict of a single-attempt rollout, for the single-turn ablation. */
export interface SingleTurnReward {
  /** The problem's id (group of the leave-one-out baseline). */
  problem: string;
  /** Reward of the only attempt. */
  reward: number;
}

/** Single-turn weights (ablation "without multi-turn training"): {policy r (minus baseline), kl beta1}. */
export function singleTurnWeights(
  rollouts: readonly SingleTurnReward[],
  settings: ObjectiveSettings,
): AttemptWeights[] {
  const policy = advantages(rollouts.map((r) => r.reward), attempt1Groups(rollouts, settings));
  return policy.map((weight) => ({ policy: weight, kl: settings.beta1 }));
}

/**
 * Chooses which of `count` rollouts take their attempt 1 from the base model: exactly
 * round(share * count) of them, picked uniformly by a partial Fisher-Yates shuffle driven by `random`
 * (a seeded generator returning numbers in [0, 1)), so a resumed run picks the same ones.
 */
export function chooseBaseAttempts(count: number, share: number, random: () => number): boolean[] {
  if (!(share >= 0 && share <= 1)) {
    throw new Error(`chooseBaseAttempts: share ${share} is outside [0, 1]; set base_attempt_share in [0, 1]`);
  }
  const picks = Math.round(share * count);
  const order = Array.from({ length: count }, (_, i) => i);
  const chosen = new Array<boolean>(count).fill(false);
  for (let i = 0; i < picks; i++) {
    const j = i + Math.floor(random() * (count - i));
    [order[i], order[j]] = [order[j], order[i]];
    chosen[order[i]] = true;
  }
  return chosen;
}
