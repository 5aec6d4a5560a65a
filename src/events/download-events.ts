import type { DownloadDto, DownloadProgress } from '../downloads/download.dto.js';
import type { LoggedEventInput } from './event-log.js';

/**
 * What one write to a download announces, derived from the Download before and after it (pure:
 * the worker calls it inside the transaction of the write and appends the result there).
 *
 * - Nothing visible changed (only `updatedAt`, or fields the Download does not show): no event.
 * - Only the transfer's numbers changed (PROGRESS_FIELDS): one compact `download.progress` delta.
 *   A transfer writes these every poll; a whole Download with its attempts each time would make
 *   them the bulk of the log and of every SSE client's traffic.
 * - Anything else: `download.updated` with the whole Download and `changed`, the fields that differ.
 * - The status reached `completed` or `failed` (it was something else before this write): also
 *   `download.completed` / `download.failed`, once per time the download reaches it. Derived from
 *   the status transition of this one write, so a retried write or a re-run job cannot repeat it.
 */
export function downloadEvents(
  before: DownloadDto,
  after: DownloadDto,
  extra: { speed?: number } = {},
): LoggedEventInput[] {
  const changed = changedFields(before, after);
  if (changed.length === 0) return [];
  if (changed.every((f) => PROGRESS_FIELDS.has(f))) {
    const delta: DownloadProgress = {
      id: after.id,
      progress: after.progress,
      bytesTransferred: after.bytesTransferred,
      queuePosition: after.queuePosition,
      updatedAt: after.updatedAt,
      ...(extra.speed !== undefined && extra.speed > 0 ? { speed: extra.speed } : {}),
    };
    return [{ type: 'download.progress', payload: delta }];
  }
  const events: LoggedEventInput[] = [{ type: 'download.updated', payload: { ...after, changed } }];
  if (after.status !== before.status) {
    if (after.status === 'completed') events.push({ type: 'download.completed', payload: after });
    if (after.status === 'failed') events.push({ type: 'download.failed', payload: after });
  }
  return events;
}

/** The fields a `download.progress` delta carries; a change to any other field is an update. */
const PROGRESS_FIELDS: ReadonlySet<string> = new Set([
  'progress',
  'bytesTransferred',
  'queuePosition',
]);

/**
 * The Download fields whose value differs, in the DTO's key order. `updatedAt` is left out: it
 * changes with every write and says nothing by itself. Nested values (source, attempts) compare
 * by their JSON, which is how clients receive them.
 */
export function changedFields(before: DownloadDto, after: DownloadDto): string[] {
  const out: string[] = [];
  for (const key of Object.keys(after) as (keyof DownloadDto)[]) {
    if (key === 'updatedAt') continue;
    const a = before[key];
    const b = after[key];
    if (a === b) continue;
    if (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b))
      continue;
    out.push(key);
  }
  return out;
}
