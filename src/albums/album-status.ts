import type { DownloadStatus } from '../downloads/download.js';

/**
 * An album's status, derived from its tracks' statuses and never stored (pure). The rules are a
 * data table in the form of ERROR_POLICIES: each row says when it holds, over the counts of the
 * album's tracks by status, and the invariant test (album-status.test.ts) checks that for every
 * combination of counts exactly one row holds.
 */
export const ALBUM_STATUSES = [
  'wanted',
  'downloading',
  'partial',
  'completed',
  'failed',
  'cancelled',
  'empty',
] as const;

export type AlbumStatus = (typeof ALBUM_STATUSES)[number];

/** How many of an album's tracks are in each group of download statuses. */
export interface TrackCounts {
  /** `waiting`: not started yet, or waiting for a retry. */
  waiting: number;
  /** `searching`, `queued`, `downloading`, `processing`: being worked on. */
  working: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface AlbumStatusRule {
  status: AlbumStatus;
  meaning: string;
  when: (c: TrackCounts) => boolean;
}

const active = (c: TrackCounts): number => c.waiting + c.working;

export const ALBUM_STATUS_RULES: readonly AlbumStatusRule[] = [
  {
    status: 'wanted',
    meaning: 'nothing has started or arrived yet: every unfinished track is waiting',
    when: (c) => c.working === 0 && c.waiting > 0 && c.completed === 0,
  },
  {
    status: 'downloading',
    meaning: 'some track is being worked on, or some arrived while others still wait',
    when: (c) => active(c) > 0 && (c.working > 0 || c.completed > 0),
  },
  {
    status: 'completed',
    meaning: 'every track is in the library',
    when: (c) => active(c) === 0 && c.completed > 0 && c.failed + c.cancelled === 0,
  },
  {
    status: 'partial',
    meaning: 'nothing is left to do; some tracks arrived, others failed or were cancelled',
    when: (c) => active(c) === 0 && c.completed > 0 && c.failed + c.cancelled > 0,
  },
  {
    status: 'failed',
    meaning: 'nothing is left to do, no track arrived, and at least one failed',
    when: (c) => active(c) === 0 && c.completed === 0 && c.failed > 0,
  },
  {
    status: 'cancelled',
    meaning: 'every track was cancelled before any arrived',
    when: (c) => active(c) === 0 && c.completed === 0 && c.failed === 0 && c.cancelled > 0,
  },
  {
    // Finished tracks can be removed from the history (POST /api/downloads/batch, remove); an
    // album whose every track was is still listed, with nothing in it.
    status: 'empty',
    meaning: 'every track was removed from the history',
    when: (c) => active(c) === 0 && c.completed + c.failed + c.cancelled === 0,
  },
];

/** The status of an album with these track counts (the rules cover every count, none too). */
export function albumStatus(c: TrackCounts): AlbumStatus {
  const rule = ALBUM_STATUS_RULES.find((r) => r.when(c));
  if (!rule) throw new Error(`albumStatus: no rule for ${JSON.stringify(c)}`);
  return rule.status;
}

/** How many tracks the album has now (removed ones no longer count). */
export function trackTotal(c: TrackCounts): number {
  return c.waiting + c.working + c.completed + c.failed + c.cancelled;
}

const GROUP: Record<DownloadStatus, keyof TrackCounts> = {
  waiting: 'waiting',
  searching: 'working',
  queued: 'working',
  downloading: 'working',
  processing: 'working',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** Counts from (status, count) pairs as a GROUP BY returns them. */
export function countTracks(rows: readonly { status: string; n: number }[]): TrackCounts {
  const counts: TrackCounts = { waiting: 0, working: 0, completed: 0, failed: 0, cancelled: 0 };
  for (const r of rows) {
    const group = GROUP[r.status as DownloadStatus];
    if (group) counts[group] += Number(r.n);
  }
  return counts;
}
