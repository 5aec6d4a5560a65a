import { Type, type Static } from 'typebox';
import { ACTIVE_STATUSES } from '../downloads/download.js';
import type { DaySums, KeySums, Sums } from './stats.repository.js';

/**
 * The statistics answer (GET /api/stats). Every count is of finished downloads (completed,
 * failed, cancelled) whose finish time is in the period: `completedAt` for a completed one, the
 * time it failed or was cancelled otherwise. A download retried later counts once, with its
 * latest outcome. `queue` is the exception: unfinished downloads now, whatever the period.
 */

const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'completed / (completed + failed); null when neither happened',
});
const Speed = Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
  description: 'mean bytes/s over completed transfers with a measured speed; null when none',
});

const Group = Type.Object({
  name: Type.String(),
  downloads: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  bytes: Type.Integer({ description: 'bytes of the files filed' }),
  successRate: Rate,
  meanSpeed: Speed,
});

export const StatsSchema = Type.Object({
  period: Type.Object({
    from: Type.Union([Type.String(), Type.Null()], { description: 'ISO; null: nothing yet' }),
    to: Type.Union([Type.String(), Type.Null()], { description: 'ISO, exclusive' }),
    timeZone: Type.Literal('UTC', { description: 'the zone of `history` days' }),
  }),
  totals: Type.Object({
    downloads: Type.Integer(),
    completed: Type.Integer(),
    failed: Type.Integer(),
    cancelled: Type.Integer(),
    bytes: Type.Integer(),
    successRate: Rate,
    meanDownloadSeconds: Type.Union([Type.Number(), Type.Null()], {
      description: 'accept to filed, mean over completed downloads',
    }),
    meanSizeBytes: Type.Union([Type.Integer(), Type.Null()]),
    meanSpeed: Speed,
  }),
  byStatus: Type.Object({
    completed: Type.Integer(),
    failed: Type.Integer(),
    cancelled: Type.Integer(),
  }),
  queue: Type.Object(
    Object.fromEntries(ACTIVE_STATUSES.map((s) => [s, Type.Integer()])) as Record<
      (typeof ACTIVE_STATUSES)[number],
      ReturnType<typeof Type.Integer>
    >,
    { description: 'unfinished downloads now, by status (not limited to the period)' },
  ),
  byFormat: Type.Array(Group, {
    description: "the file's extension; downloads never given a source are left out",
  }),
  byProvider: Type.Array(Group),
  bySource: Type.Array(Group, { description: 'peers, most downloads first (top n)' }),
  failureReasons: Type.Array(Type.Object({ code: Type.String(), count: Type.Integer() })),
  topArtists: Type.Array(Group, { description: 'most completed downloads first (top n)' }),
  history: Type.Array(
    Type.Object({
      date: Type.String({ description: 'YYYY-MM-DD, UTC' }),
      downloads: Type.Integer(),
      completed: Type.Integer(),
      failed: Type.Integer(),
      cancelled: Type.Integer(),
      bytes: Type.Integer(),
    }),
  ),
  speedHistory: Type.Array(Type.Object({ at: Type.String(), bytesPerSecond: Type.Integer() }), {
    description:
      'up to 100 samples: the first transfer that ended in each equal slice of the period',
  }),
});
export type StatsDto = Static<typeof StatsSchema>;

const downloads = (s: Sums): number => s.completed + s.failed + s.cancelled;
const successRate = (s: Sums): number | null =>
  s.completed + s.failed === 0 ? null : s.completed / (s.completed + s.failed);
const meanSpeed = (s: Sums): number | null =>
  s.speedN === 0 ? null : Math.round(s.speedSum / s.speedN);

export const toGroup = (k: KeySums): Static<typeof Group> => ({
  name: k.key,
  downloads: downloads(k),
  completed: k.completed,
  failed: k.failed,
  cancelled: k.cancelled,
  bytes: k.bytes,
  successRate: successRate(k),
  meanSpeed: meanSpeed(k),
});

export const toTotals = (s: Sums): StatsDto['totals'] => ({
  downloads: downloads(s),
  completed: s.completed,
  failed: s.failed,
  cancelled: s.cancelled,
  bytes: s.bytes,
  successRate: successRate(s),
  meanDownloadSeconds: s.completed === 0 ? null : Math.round(s.durationMs / s.completed) / 1000,
  meanSizeBytes: s.completed === 0 ? null : Math.round(s.bytes / s.completed),
  meanSpeed: meanSpeed(s),
});

const DAY_MS = 86_400_000;
/** The most days a history fills in with zeros; a longer one lists only the days with downloads. */
export const MAX_FILLED_DAYS = 1000;

/**
 * Days with nothing are filled in, between the first and last day asked for. A range longer than
 * MAX_FILLED_DAYS is narrowed to the first and last day with downloads; when even those are
 * further apart (one stray row from a wrong clock in 1970, an import of old history), only the
 * days with downloads are listed: the answer stays as big as the data, never 20,000 empty days.
 */
export function toHistory(days: DaySums[], from: number, to: number): StatsDto['history'] {
  const byDay = new Map(days.map((d) => [d.day, d]));
  let first = Math.floor(from / DAY_MS) * DAY_MS;
  let last = Math.floor((to - 1) / DAY_MS) * DAY_MS;
  if ((last - first) / DAY_MS > MAX_FILLED_DAYS) {
    first = days[0]?.day ?? first;
    last = days.at(-1)?.day ?? first;
  }
  if ((last - first) / DAY_MS > MAX_FILLED_DAYS)
    return days.map((d) => ({
      date: new Date(d.day).toISOString().slice(0, 10),
      downloads: downloads(d),
      completed: d.completed,
      failed: d.failed,
      cancelled: d.cancelled,
      bytes: d.bytes,
    }));
  const out: StatsDto['history'] = [];
  for (let day = first; day <= last && to > from; day += DAY_MS) {
    const d = byDay.get(day);
    out.push({
      date: new Date(day).toISOString().slice(0, 10),
      downloads: d ? downloads(d) : 0,
      completed: d?.completed ?? 0,
      failed: d?.failed ?? 0,
      cancelled: d?.cancelled ?? 0,
      bytes: d?.bytes ?? 0,
    });
  }
  return out;
}
