import { BASE_62_DIGITS, generateNKeysBetween } from 'fractional-indexing';

/**
 * The waiting queue runs in the order priority (higher first), position, age. Positions are
 * fractional keys (strings that sort by bytes: the column uses the "C" collation on PostgreSQL), so
 * moving k downloads writes k rows and never renumbers the rest, however long the queue is.
 *
 * Pure: the repository reads the neighbours, this decides the new keys and priorities.
 */

/** A queued download as ordering sees it. */
export interface Placed {
  id: string;
  priority: number;
  position: string;
}

/** Where moved downloads go, with the neighbours the repository found (moved ones excluded). */
export type Anchor =
  /** Before everything waiting; `first` is the download that runs next today, if any. */
  | { kind: 'head'; first: Placed | null }
  /** Right before `target`; `previous` is the one before it with the same priority, if any. */
  | { kind: 'before'; target: Placed; previous: Placed | null }
  /** Right after `target`; `next` is the one after it with the same priority, if any. */
  | { kind: 'after'; target: Placed; next: Placed | null };

export interface Move {
  id: string;
  priority: number;
  position: string;
}

/**
 * New priority and position for each moved id, in the order given. Moved downloads take the
 * priority of the place they are dropped at: dropped before a priority-10 download, they run
 * before it, which a position alone could not do under a higher priority.
 */
export function planMove(ids: string[], anchor: Anchor): Move[] {
  if (ids.length === 0) return [];
  let priority: number;
  let low: string | null;
  let high: string | null;
  switch (anchor.kind) {
    case 'head':
      priority = anchor.first?.priority ?? 0;
      low = null;
      high = anchor.first?.position ?? null;
      break;
    case 'before':
      priority = anchor.target.priority;
      high = anchor.target.position;
      low = below(anchor.previous?.position ?? null, high);
      break;
    case 'after':
      priority = anchor.target.priority;
      low = anchor.target.position;
      high = above(anchor.next?.position ?? null, low);
      break;
  }
  const keys = generateNKeysBetween(low, high, ids.length);
  return ids.map((id, i) => ({ id, priority, position: keys[i] as string }));
}

/** A lower bound strictly below `high`: two downloads may share a key (accepted at once elsewhere). */
function below(low: string | null, high: string): string | null {
  return low !== null && low < high ? low : null;
}

function above(high: string | null, low: string): string | null {
  return high !== null && high > low ? high : null;
}

/** Keys for `n` new downloads appended after the last one (`last` null: the queue is empty). */
export function appendKeys(last: string | null, n: number): string[] {
  return generateNKeysBetween(last, null, n);
}

/** The order the queue runs in, for tests and for checking a plan: priority desc, position, id. */
export function compareQueued(
  a: Placed & { createdAt?: number },
  b: Placed & { createdAt?: number },
): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.position !== b.position) return a.position < b.position ? -1 : 1;
  const age = (a.createdAt ?? 0) - (b.createdAt ?? 0);
  if (age !== 0) return age;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const DIGITS = BASE_62_DIGITS;

/**
 * The position a new download gets: its creation time as a fractional key ("g" + 7 base-62 digits,
 * the library's integer form, good until 2081). Appending costs no read, keys from several
 * processes interleave by time, and downloads made in the same millisecond fall back to age and id.
 */
export function keyForTime(ms: number): string {
  let n = Math.max(0, Math.floor(ms));
  let digits = '';
  for (let i = 0; i < 7; i++) {
    digits = DIGITS[n % 62] + digits;
    n = Math.floor(n / 62);
  }
  return `g${digits}`;
}
