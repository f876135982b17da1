/**
 * The unbiased pass@k estimator of Chen et al. 2021 (Codex paper): given n samples of which c pass,
 * pass@k = 1 - C(n-c, k) / C(n, k), computed as a product to stay numerically stable.
 *
 * @module
 */

/** Unbiased pass@k for one problem with `n` samples, `c` of them correct. Requires 1 <= k <= n. */
export function passAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n) {
    throw new RangeError(`passAtK: need integers with 0 <= c <= n and n >= 1 (got n=${n}, c=${c})`);
  }
  if (k < 1 || k > n) throw new RangeError(`passAtK: k must be between 1 and n=${n} (got ${k})`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i++) allFail *= 1 - k / i;
  return 1 - allFail;
}

/** Mean pass@k over problems, from per-problem `[n, c]` counts; problems with fewer than k samples are skipped. */
export function meanPassAtK(counts: Iterable<readonly [number, number]>, k: number): number {
  let total = 0;
  let problems = 0;
  for (const [n, c] of counts) {
    if (n < k) continue;
    total += passAtK(n, c, k);
    problems++;
  }
  return problems === 0 ? Number.NaN : total / problems;
}
