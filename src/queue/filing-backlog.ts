import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../db/database.js';

/**
 * The filing backlog (setting `maxFilingBacklog`, docs/architecture.md "The filing backlog"), the
 * rule stated once: a download WAITS FOR FILING while it is `processing` (its bytes are in), not
 * held, and no live lease files it (a lapsed lease counts: its filer is gone). Written as the
 * filing pool's partial index `downloads_filing` writes its WHERE (`status = 'processing' AND
 * hold = 'none'`), so the count walks the backlog's index entries only, never the table. With
 * `limit`, it stops there: the claim only asks "at or above the cap?", which costs at most
 * `limit` entries.
 */
export function filingBacklogCount(
  now: number,
  dialect: Dialect,
  limit?: number,
): RawBuilder<number> {
  const indexed = dialect === 'postgres' ? sql`` : sql`INDEXED BY downloads_filing`;
  return sql<number>`(SELECT count(*) FROM (SELECT 1 FROM downloads ${indexed}
    WHERE status = 'processing' AND hold = 'none'
      AND (lease_expires_at IS NULL OR lease_expires_at <= ${now})
    ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}) backlog)`;
}

/**
 * The transfer claim's gate on it: at or above `cap`, only downloads whose transfer is already
 * under way (`queued`, `downloading`: enqueued at the peer, taken over or resumed) are claimed;
 * nothing that would search or enqueue (`waiting`, `searching`). `cap` 0 = no cap.
 */
export function backlogGate(now: number, dialect: Dialect, cap: number): RawBuilder<unknown> {
  if (cap <= 0) return sql``;
  return sql`AND (status IN ('queued', 'downloading')
    OR ${filingBacklogCount(now, dialect, cap)} < ${cap})`;
}
