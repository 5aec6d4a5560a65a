/**
 * The CLI's exit codes, as data: the README's table is this one, and a test checks that every
 * code is distinct. 0 means everything asked for happened, and only that.
 */
export const EXIT_CODES = {
  ok: { code: 0, meaning: 'everything asked for completed' },
  someFailed: {
    code: 1,
    meaning:
      'something asked for did not complete (a track failed or was cancelled, an id could not be changed, health is degraded)',
  },
  usage: {
    code: 2,
    meaning: 'bad usage: unknown option, missing argument, unreadable or invalid playlist',
  },
  unreachable: {
    code: 3,
    meaning:
      'SoulSpot could not be reached (or started, in standalone mode), or answered with a server error',
  },
  auth: { code: 4, meaning: 'the API key was refused' },
  interrupted: { code: 130, meaning: 'interrupted (Ctrl-C) before everything finished' },
} as const;

export type ExitKind = keyof typeof EXIT_CODES;

export const exitCode = (kind: ExitKind): number => EXIT_CODES[kind].code;

/** How the tracks a `get` asked for ended up. */
export interface Outcome {
  completed: number;
  failed: number;
  cancelled: number;
  /** Not finished yet (waiting, paused, scheduled… when the CLI stopped following them). */
  unfinished: number;
  /** The user stopped the CLI. */
  interrupted: boolean;
}

/** The rule for `get` and `watch`: 0 only when every track asked for is in the library. */
export function outcomeExit(o: Outcome): ExitKind {
  if (o.failed + o.cancelled > 0) return 'someFailed';
  if (o.unfinished > 0) return o.interrupted ? 'interrupted' : 'someFailed';
  if (o.completed === 0) return 'someFailed';
  return 'ok';
}
