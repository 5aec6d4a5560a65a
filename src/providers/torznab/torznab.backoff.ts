/**
 * How long an indexer that failed is left alone: Lidarr's escalation ladder, as its
 * ProviderStatusServiceBase applies it to indexers (EscalationBackOff.Periods). Pure state
 * transitions; the provider keeps one state per indexer and asks `isDisabled` before each request.
 *
 * - The first failure sets level 1 (one minute) without escalating; each further failure while
 *   failing climbs one rung, up to a day. A success steps one rung down (not to zero: an indexer
 *   that failed ten times and answered once is not trusted at once) and lifts the ban.
 * - A connection failure (name not resolved, connection refused) does not escalate: the network
 *   or the indexer's host is down, which says nothing about the indexer's answers.
 * - A minimum back-off (a 429's Retry-After) climbs to the first rung at least that long.
 * - For 15 minutes after start, failures do not escalate and no ban lasts over 5 minutes (unless
 *   the indexer asked for longer): a restart with the network not up yet must not bench every
 *   indexer for hours.
 */

/** Seconds per level. */
export const ESCALATION_PERIODS_S = [
  0,
  60,
  5 * 60,
  15 * 60,
  30 * 60,
  60 * 60,
  3 * 60 * 60,
  6 * 60 * 60,
  12 * 60 * 60,
  24 * 60 * 60,
] as const;

const MAX_LEVEL = ESCALATION_PERIODS_S.length - 1;
const STARTUP_GRACE_MS = 15 * 60_000;
/** Lidarr's MinimumTimeSinceInitialFailure for indexers: zero. */
const INITIAL_FAILURE_GRACE_MS = 0;

export interface BackoffState {
  level: number;
  initialFailure: number | null;
  mostRecentFailure: number | null;
  /** Epoch ms until which the indexer is not asked; null: not disabled. */
  disabledTill: number | null;
  /** The last failure's message, for health. */
  reason: string | null;
  /** Failures in a row since the last success. */
  failures: number;
}

export const INITIAL_BACKOFF: BackoffState = {
  level: 0,
  initialFailure: null,
  mostRecentFailure: null,
  disabledTill: null,
  reason: null,
  failures: 0,
};

function periodMs(level: number): number {
  return ESCALATION_PERIODS_S[Math.min(MAX_LEVEL, level)]! * 1000;
}

export interface FailureOptions {
  now: number;
  /** When this process started (the startup grace period). */
  startedAt: number;
  reason: string;
  /** False for a connection failure. Default true. */
  escalate?: boolean;
  /** Back off at least this long (a Retry-After). */
  minimumMs?: number;
}

export function recordFailure(state: BackoffState, options: FailureOptions): BackoffState {
  const { now } = options;
  let escalate = options.escalate ?? true;
  const minimumMs = options.minimumMs ?? 0;
  let level = state.level;
  let initialFailure = state.initialFailure;
  if (level === 0 || initialFailure === null) {
    initialFailure = now;
    level = 1;
    escalate = false;
  }
  const inStartupGrace = options.startedAt + STARTUP_GRACE_MS > now;
  const inGrace = initialFailure + INITIAL_FAILURE_GRACE_MS > now;
  if (escalate && !inGrace && !inStartupGrace) level = Math.min(MAX_LEVEL, level + 1);
  if (minimumMs > 0) {
    while (level < MAX_LEVEL && periodMs(level) < minimumMs) level++;
  }
  let disabledTill = state.disabledTill;
  if (!inGrace || minimumMs > 0) disabledTill = now + periodMs(level);
  if (inStartupGrace && minimumMs === 0 && disabledTill !== null) {
    disabledTill = Math.min(disabledTill, now + ESCALATION_PERIODS_S[2] * 1000);
  }
  return {
    level,
    initialFailure,
    mostRecentFailure: now,
    disabledTill,
    reason: options.reason,
    failures: state.failures + 1,
  };
}

export function recordSuccess(state: BackoffState): BackoffState {
  if (state.level === 0) return state;
  return { ...state, level: state.level - 1, disabledTill: null, failures: 0 };
}

export function isDisabled(state: BackoffState, now: number): boolean {
  return state.disabledTill !== null && state.disabledTill > now;
}
