/**
 * Retry delay for the n-th retry (1-based) from a ladder of seconds: the last rung repeats.
 * ±10% jitter keeps many downloads that failed together from retrying in lockstep.
 */
export function retryDelayMs(
  retryNumber: number,
  ladderSeconds: readonly number[],
  random = Math.random,
): number {
  if (ladderSeconds.length === 0) return 0;
  const index = Math.min(Math.max(retryNumber, 1), ladderSeconds.length) - 1;
  const base = (ladderSeconds[index] ?? 0) * 1000;
  const jitter = 1 + (random() * 2 - 1) * 0.1;
  return Math.round(base * jitter);
}
