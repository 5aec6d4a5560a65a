/**
 * The queue table's rows as data, pure (the store holds one and bumps a version signal): ids in
 * shown order and the Download of each id. Pages append; SSE events patch rows in place by id,
 * insert new ones where the order puts them, and drop rows that no longer match the filter.
 * Mutating in place keeps an event at 100,000 loaded rows O(shown order) at worst, never a copy
 * of every row.
 */
import type { Download, DownloadProgress, DownloadUpdate, WireStatus } from '../types.js';

export type ListOrder = 'queue' | 'newest';

export interface ListFilter {
  statuses: readonly WireStatus[];
  provider: string;
  text: string;
}

export const NO_FILTER: ListFilter = { statuses: [], provider: '', text: '' };

export interface Rows {
  order: string[];
  byId: Map<string, Download>;
  /** The last page was loaded (no nextCursor): a new row past the loaded ones belongs here. */
  complete: boolean;
}

export function emptyRows(): Rows {
  return { order: [], byId: new Map(), complete: false };
}

/**
 * Lowercase as the server's text filter does: `lower(column) LIKE lower('%text%')` on SQLite
 * (src/downloads/download.repository.ts `likePattern`), where lower() and LIKE fold ASCII letters
 * only. toLowerCase() would also fold "Ä" to "ä", so a live-patched "Ägypten" would stay under
 * the filter "ä" while the server's next page leaves it out.
 */
export const foldAscii = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** The server's rule, as GET /api/downloads applies it (status, current source's provider, text). */
export function matchesFilter(d: Download, f: ListFilter): boolean {
  if (f.statuses.length > 0 && !f.statuses.includes(d.status)) return false;
  if (f.provider !== '' && d.source?.provider !== f.provider) return false;
  // The store sends the text trimmed (`q`), and the server takes it literally (wildcards too).
  const text = foldAscii(f.text.trim());
  if (text !== '') {
    const hay = [d.artist, d.title, d.album ?? ''];
    if (!hay.some((s) => foldAscii(s).includes(text))) return false;
  }
  return true;
}

/** Appends a page; rows already there (an event inserted them first) keep their place. */
export function appendPage(rows: Rows, items: readonly Download[], complete: boolean): void {
  for (const d of items) {
    if (!rows.byId.has(d.id)) rows.order.push(d.id);
    rows.byId.set(d.id, d);
  }
  rows.complete = complete;
}

export type Patch = 'patched' | 'inserted' | 'removed' | 'ignored';

/**
 * A `download.updated` (the whole Download): replace the row; a row that stops matching the
 * filter leaves; a new download that matches goes where the order puts it, when that place is
 * among the loaded rows (otherwise its page brings it later).
 */
export function applyUpdate(
  rows: Rows,
  update: DownloadUpdate,
  filter: ListFilter,
  order: ListOrder,
): Patch {
  const { changed: _changed, ...d } = update;
  const known = rows.byId.has(d.id);
  const matches = matchesFilter(d, filter);
  if (known) {
    if (!matches) {
      removeIds(rows, [d.id]);
      return 'removed';
    }
    rows.byId.set(d.id, d);
    return 'patched';
  }
  if (!matches) return 'ignored';
  const at = insertIndex(rows, d, order);
  if (at === null) return 'ignored';
  rows.order.splice(at, 0, d.id);
  rows.byId.set(d.id, d);
  return 'inserted';
}

/**
 * Where a download not yet shown goes. Newest first: the top. Queue order: after every row of
 * its priority or higher (a new download's position is the newest key of its priority), i.e.
 * before the first lower-priority row; past the loaded rows only when all are loaded.
 */
export function insertIndex(rows: Rows, d: Download, order: ListOrder): number | null {
  if (order === 'newest') return 0;
  const i = rows.order.findIndex((id) => (rows.byId.get(id)?.priority ?? 0) < d.priority);
  if (i >= 0) return i;
  return rows.complete ? rows.order.length : null;
}

/** A `download.progress` delta: only the transfer's numbers of a shown row. */
export function applyProgress(rows: Rows, p: DownloadProgress): boolean {
  const row = rows.byId.get(p.id);
  if (!row) return false;
  rows.byId.set(p.id, {
    ...row,
    progress: p.progress,
    bytesTransferred: p.bytesTransferred,
    queuePosition: p.queuePosition,
    updatedAt: p.updatedAt,
  });
  return true;
}

export function removeIds(rows: Rows, ids: readonly string[]): void {
  const gone = new Set(ids.filter((id) => rows.byId.has(id)));
  if (gone.size === 0) return;
  for (const id of gone) rows.byId.delete(id);
  rows.order = rows.order.filter((id) => !gone.has(id));
}

/** Seconds left at `speed` bytes/s; null when unknown (no size, no speed, or done). */
export function etaSeconds(d: Download, speed: number | undefined): number | null {
  if (!speed || speed <= 0 || d.size === null || d.status !== 'downloading') return null;
  const left = d.size - d.bytesTransferred;
  return left > 0 ? left / speed : null;
}

export function formatBytes(n: number | null): string {
  if (n === null) return '–';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/**
 * What a drop asks of POST /api/downloads/reorder: the moved ids (the selection in shown order,
 * or just the dragged row when it is not selected) right before or after the row dropped on.
 * Null when the drop changes nothing (dropped on one of the moved rows).
 */
export function dropPlan(
  order: readonly string[],
  selected: ReadonlySet<string>,
  dragged: string,
  target: string,
  after: boolean,
): { ids: string[]; before?: string; after?: string } | null {
  const ids = selected.has(dragged) ? order.filter((id) => selected.has(id)) : [dragged];
  if (ids.includes(target)) return null;
  return after ? { ids, after: target } : { ids, before: target };
}

/** The order after a drop, for showing it at once while the API answers (its answer wins). */
export function applyDrop(
  order: readonly string[],
  plan: { ids: string[]; before?: string; after?: string },
): string[] {
  const moved = new Set(plan.ids);
  const rest = order.filter((id) => !moved.has(id));
  const anchor = plan.before ?? plan.after;
  const i = anchor === undefined ? 0 : rest.indexOf(anchor);
  if (i < 0) return [...order];
  const at = plan.after !== undefined ? i + 1 : i;
  return [...rest.slice(0, at), ...plan.ids, ...rest.slice(at)];
}

/**
 * What Alt+ArrowUp/Down asks of the reorder API: the focused row (or the selection, when the
 * focused row is in it, in shown order) right before the nearest row above the first moved one,
 * or right after the nearest row below the last. Null at the top or bottom of the loaded rows.
 */
export function keyboardMovePlan(
  order: readonly string[],
  selected: ReadonlySet<string>,
  focused: string,
  direction: -1 | 1,
): { ids: string[]; before?: string; after?: string } | null {
  const ids = selected.has(focused) ? order.filter((id) => selected.has(id)) : [focused];
  const moved = new Set(ids);
  const edge = direction < 0 ? order.indexOf(ids[0]!) : order.lastIndexOf(ids.at(-1)!);
  if (edge < 0) return null;
  for (let i = edge + direction; i >= 0 && i < order.length; i += direction) {
    const id = order[i]!;
    if (moved.has(id)) continue;
    return direction < 0 ? { ids, before: id } : { ids, after: id };
  }
  return null;
}
