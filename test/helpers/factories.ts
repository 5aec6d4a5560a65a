import { randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { DownloadsTable } from '../../src/db/schema.js';
import { dedupeKey } from '../../src/downloads/download.js';
import { keyForTime } from '../../src/downloads/queue-order.js';

let counter = 0;

/** A download row with sensible defaults; override what the test is about. */
export function downloadRow(
  overrides: Partial<Insertable<DownloadsTable>> = {},
): Insertable<DownloadsTable> {
  counter++;
  const artist = overrides.artist ?? 'Artist';
  const title = overrides.title ?? `Title ${counter}`;
  const t = overrides.created_at ?? 1_700_000_000_000 + counter;
  return {
    id: randomUUID(),
    status: 'waiting',
    artist,
    title,
    album: null,
    dedupe_key: dedupeKey({ artist, title, album: overrides.album ?? null }),
    priority: 0,
    progress: 0,
    bytes_transferred: 0,
    retry_count: 0,
    max_retries: 3,
    run_after: t,
    query_index: 0,
    lease_token: 0,
    created_at: t,
    updated_at: t,
    position: keyForTime(t),
    ...overrides,
  } as Insertable<DownloadsTable>;
}
