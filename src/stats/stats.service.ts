import { ACTIVE_STATUSES } from '../downloads/download.js';
import type { DaySums, Range, StatsRepository, Sums } from './stats.repository.js';
import { toGroup, toHistory, toTotals, type StatsDto } from './stats.dto.js';

/** How many speed samples a period gets at most. */
export const SPEED_SAMPLES = 100;
/** How often the deltas are folded into the daily rollup (reads are exact either way). */
export const FOLD_EVERY_MS = 10_000;

/** The period's totals: every day's sums added up (days with no download add nothing). */
export function sumDays(days: DaySums[]): Sums {
  const t: Sums = {
    completed: 0,
    failed: 0,
    cancelled: 0,
    bytes: 0,
    durationMs: 0,
    speedSum: 0,
    speedN: 0,
  };
  for (const d of days) {
    t.completed += d.completed;
    t.failed += d.failed;
    t.cancelled += d.cancelled;
    t.bytes += d.bytes;
    t.durationMs += d.durationMs;
    t.speedSum += d.speedSum;
    t.speedN += d.speedN;
  }
  return t;
}

export interface StatsServiceDeps {
  repo: StatsRepository;
  log?: { warn(obj: object, msg?: string): void };
}

export function createStatsService({ repo, log }: StatsServiceDeps) {
  return {
    /**
     * Every section in one snapshot, so they agree with each other. `range` 'all' spans every
     * finished download; `top` bounds the peer and artist lists.
     */
    stats(range: Range | 'all', top: number): Promise<StatsDto> {
      return repo.snapshot(async (tx) => {
        const span = range === 'all' ? await repo.span(tx) : range;
        const queue = await repo.activeNow(tx);
        const queueNow = Object.fromEntries(
          ACTIVE_STATUSES.map((s) => [s, queue[s] ?? 0]),
        ) as StatsDto['queue'];
        const r = span ?? { from: 0, to: 0 };
        const days = await repo.perDay(tx, r);
        const totals = sumDays(days);
        const keyed = await repo.keyed(tx, r, top);
        const step = Math.max(1, Math.ceil((r.to - r.from) / SPEED_SAMPLES));
        const speeds = r.to > r.from ? await repo.speedSamples(tx, r, step) : [];
        return {
          period: {
            from: span ? new Date(span.from).toISOString() : null,
            to: span ? new Date(span.to).toISOString() : null,
            timeZone: 'UTC' as const,
          },
          totals: toTotals(totals),
          byStatus: {
            completed: totals.completed,
            failed: totals.failed,
            cancelled: totals.cancelled,
          },
          queue: queueNow,
          byFormat: keyed.format.map(toGroup),
          byProvider: keyed.provider.map(toGroup),
          bySource: keyed.peer.map(toGroup),
          failureReasons: keyed.error.map((e) => ({ code: e.key, count: e.failed })),
          topArtists: keyed.artist.map(toGroup),
          history: toHistory(days, r.from, r.to),
          speedHistory: speeds.map((s) => ({
            at: new Date(s.at).toISOString(),
            bytesPerSecond: s.speed,
          })),
        };
      });
    },

    /** Folds the deltas now (also what the timer does). */
    fold: () => repo.fold(),

    /**
     * Folds on a timer; returns a stop function that resolves once a fold in flight is done (the
     * database may close after it). A failed fold is retried at the next tick.
     */
    start(everyMs = FOLD_EVERY_MS): () => Promise<void> {
      let running: Promise<void> = Promise.resolve();
      const tick = (): void => {
        running = repo.fold().then(
          () => undefined,
          (error: unknown) => log?.warn({ err: error }, 'statistics fold failed'),
        );
      };
      tick();
      const timer = setInterval(tick, everyMs);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;
