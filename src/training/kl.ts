/**
 * The k3 estimator of KL(pi || pi_ref) from sampled tokens, the same expression the training graph puts in its
 * loss, so that steps can report the KL of an update from the log-probabilities they already hold.
 *
 * For a token y sampled from pi, with log-ratio d = log pi_ref(y) - log pi(y):
 *
 *     k3 = exp(d) - d - 1
 *
 * k3 is never negative and its expectation under pi is exactly KL(pi || pi_ref) (because E_pi[exp(d)] = 1).
 * Its gradient taken through log pi (what the graph's autodiff computes, with the sample held fixed) is
 * (1 - exp(d)) * grad log pi; in expectation under pi that is the gradient of KL(pi_ref || pi), the other
 * direction. Both directions share their minimum (pi = pi_ref) and their curvature there (the Fisher
 * information), so near the reference model the penalty pulls the same way; far from it, the pull is the
 * mass-covering one. The tests in kl_test.ts check both facts exactly on small distributions.
 *
 * @module
 */

/** The k3 estimate for one sampled token: exp(d) - d - 1 with d = refLogprob - logprob. */
export function k3(logprob: number, refLogprob: number): number {
  const d = refLogprob - logprob;
  // expm1 keeps precision when the two models nearly agree (d close to 0).
  return Math.expm1(d) - d;
}

/**
 * Mean k3 over the tokens where `mask` is non-zero: the per-token KL estimate that an update reports.
 * Returns 0 when the mask selects no token.
 */
export function meanK3(
  logprobs: ArrayLike<number>,
  refLogprobs: ArrayLike<number>,
  mask: ArrayLike<number>,
): number {
  if (logprobs.length !== refLogprobs.length || logprobs.length !== mask.length) {
    throw new Error(
      `meanK3: lengths differ (logprobs ${logprobs.length}, refLogprobs ${refLogprobs.length}, ` +
        `mask ${mask.length}); pass arrays of the same [B*T] layout`,
    );
  }
  let sum = 0;
  let count = 0;
  for (let i = 0; i < logprobs.length; i++) {
    if (mask[i] === 0) continue;
    sum += k3(logprobs[i], refLogprobs[i]);
    count++;
  }
  return count === 0 ? 0 : sum / count;
}
