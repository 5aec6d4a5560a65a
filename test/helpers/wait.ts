/**
 * Waiting in tests. The suite runs on a busy 2-core machine, so no wait assumes a speed: a condition
 * is polled, and a long run only fails when it stops moving, not when it is slow.
 */

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

/**
 * Polls `probe` until it returns a value (anything but null, undefined or false) and returns it.
 * For a state that comes once something simple happens (a server answers, a job is picked up); the
 * default deadline is generous because a loaded machine can take many seconds for that.
 */
export async function waitUntil<T>(
  probe: Probe<T>,
  options: {
    what: string;
    timeoutMs?: number;
    intervalMs?: number;
    /** An error of this class from `probe` ends the wait at once; others are retried. */
    stopOn?: new (...args: never[]) => Error;
  },
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      if (options.stopOn && error instanceof options.stopOn) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(options.intervalMs ?? 50);
  }
  const cause = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}${cause}`);
}

export interface ProgressWait<S> {
  /** Reads the current state (e.g. every download). */
  read: () => Promise<S>;
  done: (state: S) => boolean;
  /**
   * A fingerprint of how far the work is (statuses, bytes): any change counts as progress and moves
   * the deadline.
   */
  progress: (state: S) => string;
  /** Give up after this long with no progress at all. */
  stallMs: number;
  what: string;
  intervalMs?: number;
  /** Shown when giving up: the state that stopped moving. */
  describe?: (state: S) => string;
  /**
   * Runs after each look that did not finish (the crash battery kills and restarts here). Its time is
   * not counted as a stall: the work cannot move while the test holds it.
   */
  between?: (state: S) => Promise<void>;
}

/**
 * Waits until `done(state)`, with a deadline that moves while the work advances: it fails only after
 * `stallMs` in which the progress fingerprint did not change once.
 */
export async function waitWithProgress<S>(options: ProgressWait<S>): Promise<S> {
  let fingerprint: string | undefined;
  let stallDeadline = Date.now() + options.stallMs;
  for (;;) {
    const state = await options.read();
    if (options.done(state)) return state;
    const now = Date.now();
    const next = options.progress(state);
    if (next !== fingerprint) {
      fingerprint = next;
      stallDeadline = now + options.stallMs;
    } else if (now >= stallDeadline) {
      const detail = options.describe ? `:\n${options.describe(state)}` : '';
      throw new Error(`no progress for ${options.stallMs} ms waiting for ${options.what}${detail}`);
    }
    if (options.between) {
      const started = Date.now();
      await options.between(state);
      stallDeadline += Date.now() - started;
    }
    await sleep(options.intervalMs ?? 100);
  }
}
