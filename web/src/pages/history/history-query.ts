/** The History page's filters as API queries (pure). */

/** The statuses a finished download can have: what the history shows. */
export const FINISHED_STATUSES = ['completed', 'failed', 'cancelled'] as const;
export type FinishedStatus = (typeof FINISHED_STATUSES)[number];

/** The statuses to ask for: the ones ticked, or every finished one when none is. */
export function historyStatuses(selected: readonly string[]): FinishedStatus[] {
  const picked = FINISHED_STATUSES.filter((s) => selected.includes(s));
  return picked.length > 0 ? picked : [...FINISHED_STATUSES];
}

/**
 * The export link for the current filters. Built only from the app's own constants (format and
 * status names), never from a remote string; the session cookie authenticates the download.
 */
export function exportHref(format: 'csv' | 'json', selected: readonly string[]): string {
  const params = new URLSearchParams({ format, status: historyStatuses(selected).join(',') });
  return `/api/downloads/export?${params.toString()}`;
}

/** Whether a download with this status belongs in the list as filtered. */
export function inHistory(status: string, selected: readonly string[]): boolean {
  return (historyStatuses(selected) as string[]).includes(status);
}

/** The list with `item` put in by id: replaced where it was, else first (the newest). */
export function upsertFirst<T extends { id: string }>(items: readonly T[], item: T): T[] {
  const i = items.findIndex((x) => x.id === item.id);
  if (i === -1) return [item, ...items];
  const copy = [...items];
  copy[i] = item;
  return copy;
}
