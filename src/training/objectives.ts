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
 * Options beyond the paper, each off by default: a leave-one-out baseline over the samples of the same problem,
 * and attempt-1 samples drawn from the base model (the paper's section 5.3), which are off-policy and so get
 * neither a policy nor a KL weight, serving only as context for attempt 2.
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
   * `none` (the paper: instantaneous rewards) or `leave_one_out`: subtract from each sample's reward the
   * mean reward of the other samples of the same problem in the batch (0 when it has no such sample).
   */
  baseline: z.enum(["none", "leave_one_out"]).default("none"),
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

/** Subtracts the configured baseline from per-sample returns (unchanged when the baseline is `none`). */
function advantages(
  returns: readonly number[],
  rollouts: readonly { problem: string }[],
  baseline: ObjectiveSettings["baseline"],
  include?: readonly boolean[],
): number[] {
  if (baseline === "none") return [...returns];
  const groups = rollouts.map((rollout) => rollout.problem);
  const baselines = leaveOneOutBaselines(returns, groups, include);
  return returns.map((value, i) => value - baselines[i]);
}

/** True for the rollouts whose attempt 1 is the policy's own sample. */
function onPolicyAttempt1(rollouts: readonly RolloutRewards[]): boolean[] {
  return rollouts.map((rollout) => rollout.attempt1FromBase !== true);
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
  const attempt2 = advantages(rollouts.map((r) => r.reward2), rollouts, settings.baseline);
  return rollouts.map((_, i) => ({
    attempt1: { policy: 0, kl: onPolicy[i] ? settings.beta2 : 0 },
    attempt2: { policy: attempt2[i], kl: settings.beta1 },
  }));
}

/**
 * Stage II weights: attempt 1 {policy r1, kl beta1}, attempt 2 {policy r2 + alpha * (r2 - r1), kl beta1},
 * each minus its baseline when one is configured. An attempt 1 drawn from the base model gets zero weights.
 */
export function stage2Weights(
  rollouts: readonly RolloutRewards[],
  settings: ObjectiveSettings,
): RolloutWeights[] {
  const onPolicy = onPolicyAttempt1(rollouts);
  const attempt1 = advantages(rollouts.map((r) => r.reward1), rollouts, settings.baseline, onPolicy);
  const shaped = rollouts.map((r) => shapedReward(r.reward1, r.reward2, settings.alpha));
  const attempt2 = advantages(shaped, rollouts, settings.baseline);
  return rollouts.map((_, i) => ({
    attempt1: onPolicy[i] ? { policy: attempt1[i], kl: settings.beta1 } : { policy: 0, kl: 0 },
    attempt2: { policy: attempt2[i], kl: settings.beta1 },
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
  const policy = advantages(rollouts.map((r) => r.reward), rollouts, settings.baseline);
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
