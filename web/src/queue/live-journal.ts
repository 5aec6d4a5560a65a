/**
 * Live changes that arrive while rows are being read: the next page (`loadMore`) or the loaded
 * window again (`refreshLoaded`, after a reorder, a priority change or a replay reset). A page
 * read before a change lands after it; without this, a row that went `downloading` →
 * `completed`, was removed, or left the filter while its page was in flight showed the page's
 * older state (or came back) until its next event, which for a finished or removed row never
 * comes. Each change is applied to the shown rows at once and kept here while any read is open;
 * when a read's rows are in, what came since that read opened is applied again, in the order it
 * came, onto them. Replaying a change a page already holds is harmless: the changes of one row
 * come in order, so the last one written is the newest.
 *
 * Bounded by rows, not by time: a row's changes are folded into one (`compose`), so a read that
 * never answers (fetch has no timeout) keeps one entry per changed row, not every progress tick.
 */
import type { DownloadProgress, DownloadUpdate } from '../types';
import {
  applyProgress,
  applyUpdate,
  removeIds,
  type ListFilter,
  type ListOrder,
  type Rows,
} from './rows';

export type LiveChange =
  | { kind: 'update'; download: DownloadUpdate }
  | { kind: 'progress'; progress: DownloadProgress }
  | { kind: 'remove'; ids: readonly string[] };

/** Applies one change; true when the rows changed. */
export function applyLive(
  rows: Rows,
  change: LiveChange,
  filter: ListFilter,
  order: ListOrder,
): boolean {
  switch (change.kind) {
    case 'update':
      return applyUpdate(rows, change.download, filter, order) !== 'ignored';
    case 'progress':
      return applyProgress(rows, change.progress);
    case 'remove': {
      const had = change.ids.some((id) => rows.byId.has(id));
      removeIds(rows, change.ids);
      return had;
    }
  }
}

/**
 * One change of a row folded into the one kept before it, as applying both in turn would leave
 * the row: an update or a removal replaces what came before; a progress moves an update's numbers
 * (or follows the earlier progress); nothing after a removal brings the row back but an update.
 */
function compose(before: SingleChange, after: SingleChange): SingleChange {
  if (after.kind !== 'progress') return after;
  if (before.kind === 'remove') return before;
  if (before.kind === 'progress') return after;
  const { progress, bytesTransferred, queuePosition, updatedAt } = after.progress;
  return {
    kind: 'update',
    download: { ...before.download, progress, bytesTransferred, queuePosition, updatedAt },
  };
}

/** A change of one row (a removal of several is kept as one per id). */
type SingleChange =
  Exclude<LiveChange, { kind: 'remove' }> | { kind: 'remove'; ids: readonly [string] };

const idOf = (c: SingleChange): string =>
  c.kind === 'update' ? c.download.id : c.kind === 'progress' ? c.progress.id : c.ids[0];

/** One read's view of the journal: what came since it opened. */
export interface JournalReader {
  /** The read's rows are in: what came since it opened goes onto them. */
  replay(rows: Rows, filter: ListFilter, order: ListOrder): void;
  /** The read is over (answered, failed, or dropped): it keeps nothing any more. */
  close(): void;
}

export function createLiveJournal() {
  /**
   * What came while a read was open: each row's changes folded into one, numbered by its latest
   * change; oldest first (a row changed again moves to the end).
   */
  const entries = new Map<string, { seq: number; change: SingleChange }>();
  let seq = 0;
  /** Each open read and the number of the last change before it opened. */
  const readers = new Map<object, number>();

  /** Drops what no open read needs (everything once none is open). */
  function trim(): void {
    let oldest = Infinity;
    for (const start of readers.values()) oldest = Math.min(oldest, start);
    for (const [id, e] of entries) {
      if (e.seq > oldest) break;
      entries.delete(id);
    }
  }

  function keep(change: SingleChange): void {
    const id = idOf(change);
    const before = entries.get(id);
    entries.delete(id);
    entries.set(id, { seq: ++seq, change: before ? compose(before.change, change) : change });
  }

  return {
    /** A read starts: what comes from now on is kept for it until it closes. */
    open(): JournalReader {
      const token = {};
      const start = seq;
      readers.set(token, start);
      return {
        replay(rows, filter, order) {
          if (!readers.has(token)) return;
          for (const e of entries.values())
            if (e.seq > start) applyLive(rows, e.change, filter, order);
        },
        close() {
          if (readers.delete(token)) trim();
        },
      };
    },
    record(change: LiveChange): void {
      if (readers.size === 0) return;
      if (change.kind === 'remove')
        for (const id of change.ids) keep({ kind: 'remove', ids: [id] });
      else keep(change);
    },
    /** The rows were dropped (a reload, the page left): every open read is over. */
    closeAll(): void {
      readers.clear();
      entries.clear();
    },
    get recording(): boolean {
      return readers.size > 0;
    },
    /** Changes kept (for the tests: bounded, and empty once no read is open). */
    get size(): number {
      return entries.size;
    },
  };
}
