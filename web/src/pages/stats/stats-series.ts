/**
 * The statistics answer shaped for uPlot (pure): uPlot takes columns, the x column in seconds
 * ascending, every y column as long as it. Days come as "YYYY-MM-DD" (UTC midnight).
 */
import type { Stats } from '../../types';

export type Columns = [number[], ...(number | null)[][]];

export interface Series {
  /** The label of each y column, in order. */
  labels: string[];
  data: Columns;
}

const daySeconds = (date: string) => Date.parse(`${date}T00:00:00Z`) / 1000;

/** Per day: completed and failed downloads. */
export function downloadsPerDay(history: Stats['history']): Series {
  const days = [...history].sort((a, b) => a.date.localeCompare(b.date));
  return {
    labels: ['Completed', 'Failed', 'Cancelled'],
    data: [
      days.map((d) => daySeconds(d.date)),
      days.map((d) => d.completed),
      days.map((d) => d.failed),
      days.map((d) => d.cancelled),
    ],
  };
}

/** Per day: megabytes filed (MB of 1,048,576 bytes, two decimals so small days still show). */
export function bytesPerDay(history: Stats['history']): Series {
  const days = [...history].sort((a, b) => a.date.localeCompare(b.date));
  return {
    labels: ['MB filed'],
    data: [
      days.map((d) => daySeconds(d.date)),
      days.map((d) => Math.round((d.bytes / 1_048_576) * 100) / 100),
    ],
  };
}

/** Per day: the share of finished downloads that failed (0–100 %), null on a day with none. */
export function failureRatePerDay(history: Stats['history']): Series {
  const days = [...history].sort((a, b) => a.date.localeCompare(b.date));
  return {
    labels: ['Failed', 'Failure rate %'],
    data: [
      days.map((d) => daySeconds(d.date)),
      days.map((d) => d.failed),
      days.map((d) =>
        d.completed + d.failed === 0
          ? null
          : Math.round((d.failed / (d.completed + d.failed)) * 1000) / 10,
      ),
    ],
  };
}

/** Transfer speed samples in KB/s, by time; samples with an unreadable time are dropped. */
export function speedSeries(samples: Stats['speedHistory']): Series {
  const points = samples
    .map((s) => ({ t: Date.parse(s.at) / 1000, v: s.bytesPerSecond / 1024 }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  return {
    labels: ['KB/s'],
    data: [points.map((p) => p.t), points.map((p) => Math.round(p.v * 10) / 10)],
  };
}

/** Whether a series has anything worth a chart (at least one point with a value). */
export function hasPoints(series: Series): boolean {
  const [xs, ...ys] = series.data;
  return xs.length > 0 && ys.some((y) => y.some((v) => v !== null && v !== 0));
}

/** Failure reasons with their share of all failures, most first. */
export function reasonShares(
  reasons: Stats['failureReasons'],
): { code: string; count: number; share: number }[] {
  const total = reasons.reduce((n, r) => n + r.count, 0);
  return [...reasons]
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .map((r) => ({ ...r, share: total === 0 ? 0 : r.count / total }));
}
