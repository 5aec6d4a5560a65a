/**
 * The pure parts of re-reading changed rows one by one (after a `downloads.changed` for rows in
 * view), apart from the store's I/O:
 * - which answer wins: every row has a counter, bumped when a refetch of it starts and when a
 *   live update of it arrives; an answer is applied only if its row's counter is still the one it
 *   started with, so an older answer landing after a newer one (or after the live event that
 *   superseded it) changes nothing;
 * - what an answer does: the download (patch it, or drop it if it left the filter), 404 (it was
 *   removed: drop it), any other failure (network, 5xx: keep the row as last known and mark it
 *   stale, until a later update or refetch of it succeeds);
 * - the speed history: only rows still shown and downloading keep theirs.
 */
import type { Download } from '../types';
import { applyUpdate, removeIds, type ListFilter, type ListOrder, type Rows } from './rows';

export type RefetchAnswer =
  { kind: 'found'; download: Download } | { kind: 'gone' } | { kind: 'error'; message: string };

/** Per-row counters for "the newest look at a row wins". */
export function createRowVersions() {
  const versions = new Map<string, number>();
  let next = 0;
  return {
    /** A newer look at `id` (a refetch starting, a live update): returns its token. */
    bump(id: string): number {
      const v = ++next;
      versions.set(id, v);
      return v;
    },
    isCurrent(id: string, token: number): boolean {
      return versions.get(id) === token;
    },
    /** Forgets rows that left (the map stays as big as what is in flight). */
    settle(id: string, token: number): void {
      if (versions.get(id) === token) versions.delete(id);
    },
    clear(): void {
      versions.clear();
    },
    get size(): number {
      return versions.size;
    },
  };
}
export type RowVersions = ReturnType<typeof createRowVersions>;

/** Applies one refetch answer; true when the rows or the stale set changed. */
export function applyRefetch(
  rows: Rows,
  stale: Set<string>,
  id: string,
  answer: RefetchAnswer,
  filter: ListFilter,
  order: ListOrder,
): boolean {
  switch (answer.kind) {
    case 'found': {
      const was = stale.delete(id);
      return applyUpdate(rows, answer.download, filter, order) !== 'ignored' || was;
    }
    case 'gone': {
      stale.delete(id);
      const had = rows.byId.has(id);
      removeIds(rows, [id]);
      return had;
    }
    case 'error':
      if (!rows.byId.has(id) || stale.has(id)) return false;
      stale.add(id);
      return true;
  }
}

/** Drops stale marks and speeds of rows that left the view; speeds of rows no longer downloading. */
export function pruneRowState(rows: Rows, stale: Set<string>, speeds: Map<string, number>): void {
  for (const id of stale) if (!rows.byId.has(id)) stale.delete(id);
  for (const id of speeds.keys())
    if (rows.byId.get(id)?.status !== 'downloading') speeds.delete(id);
}
