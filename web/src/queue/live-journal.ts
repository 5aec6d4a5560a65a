/**
 * Live changes that arrive while the loaded window is being read again (`refreshLoaded`, after a
 * reorder, a priority change or a replay reset). The refresh builds its rows apart and swaps them
 * in when its last page is in; without this, a row that went `downloading` → `completed` while the
 * pages were in flight showed its older state from the page again, until its next event. Each
 * change is applied to the shown rows at once and kept here; on the swap they are applied again,
 * in the order they came, onto the new rows. Replaying a change a page already holds is harmless:
 * the changes of one row come in order, so the last one written is the newest.
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

export function createLiveJournal() {
  let entries: LiveChange[] | null = null;
  return {
    /** A refresh starts reading: keep what comes from now on (a newer refresh starts over). */
    start(): void {
      entries = [];
    },
    record(change: LiveChange): void {
      entries?.push(change);
    },
    /** The refresh's rows are in: what came meanwhile goes onto them; recording stops. */
    replay(rows: Rows, filter: ListFilter, order: ListOrder): void {
      for (const change of entries ?? []) applyLive(rows, change, filter, order);
      entries = null;
    },
    /** The refresh failed or was overtaken by a reload: nothing to replay. */
    stop(): void {
      entries = null;
    },
    get recording(): boolean {
      return entries !== null;
    },
  };
}
