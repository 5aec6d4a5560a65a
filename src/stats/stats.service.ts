import { ACTIVE_STATUSES } from '../downloads/download.js';
import type { Range, StatsRepository } from './stats.repository.js';
import { toGroup, toHistory, toTotals, type StatsDto } from './stats.dto.js';

/** How many speed samples a period gets at most. */
export const SPEED_SAMPLES = 100;
/** How often the deltas are folded into the daily rollup (reads are exact either way). */
export const FOLD_EVERY_MS = 10_000;

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
        const totals = await repo.totals(tx, r);
        const [formats, providers, peers, errors, artists, days] = [
          await repo.byKey(tx, 'format', r, null),
          await repo.byKey(tx, 'provider', r, null),
          await repo.byKey(tx, 'peer', r, top),
          await repo.byKey(tx, 'error', r, null),
          await repo.topCompleted(tx, 'artist', r, top),
          await repo.perDay(tx, r),
        ];
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
          byFormat: formats.map(toGroup),
          byProvider: providers.map(toGroup),
          bySource: peers.map(toGroup),
          failureReasons: errors.map((e) => ({ code: e.key, count: e.failed })),
          topArtists: artists.map(toGroup),
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
