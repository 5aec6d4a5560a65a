import { randomUUID } from 'node:crypto';
import { generateNKeysBetween } from 'fractional-indexing';
import type { Insertable } from 'kysely';
import type { Db } from '../db/database.js';
import type { DownloadsTable } from '../db/schema.js';
import type { EventLog } from '../events/event-log.js';
import type { AcceptRepository } from './accept.repository.js';
import { dedupeKey, type TrackRequest } from './download.js';
import { toDownloadDto } from './download.dto.js';
import type { DownloadRow } from './download.repository.js';
import { keyForTime } from './queue-order.js';

/** What became of one requested track. */
export type AcceptOutcome =
  /** A new download, committed with its `download.updated` event. */
  | { kind: 'created'; row: DownloadRow }
  /** An active download of this track existed already: that one. */
  | { kind: 'existing'; row: DownloadRow }
  /** An earlier item of the same batch asked for the same track (`of` is its index). */
  | { kind: 'duplicate'; of: number; row: DownloadRow }
  /** maxQueueSize was reached; `active` is how many unfinished downloads the queue holds. */
  | { kind: 'rejected'; active: number };

/**
 * The row of a newly requested track, at the end of the queue's order: due at once, or held until
 * its `scheduledAt` when that is still to come.
 */
export function newDownloadRow(
  request: TrackRequest,
  t: number,
  maxRetries: number,
): Insertable<DownloadsTable> {
  const later = request.scheduledAt != null && request.scheduledAt > t;
  return {
    id: randomUUID(),
    status: 'waiting',
    artist: request.artist.trim(),
    title: request.title.trim(),
    album: request.album?.trim() || null,
    album_artist: request.albumArtist?.trim() || null,
    track_number: request.trackNumber ?? null,
    disc_number: request.discNumber ?? null,
    year: request.year ?? null,
    genre: request.genre?.trim() || null,
    duration_seconds: request.durationSeconds ?? null,
    dedupe_key: dedupeKey(request),
    priority: request.priority ?? 0,
    progress: 0,
    bytes_transferred: 0,
    size: null,
    retry_count: 0,
    max_retries: maxRetries,
    next_retry_at: null,
    run_after: t,
    error_code: null,
    error_message: null,
    search_id: null,
    query_index: 0,
    search_provider: null,
    preferred_provider: request.provider ?? null,
    candidates: null,
    current_attempt_id: null,
    queue_position: null,
    library_path: null,
    lease_owner: null,
    lease_expires_at: null,
    lease_token: 0,
    created_at: t,
    updated_at: t,
    completed_at: null,
    position: keyForTime(t),
    hold: later ? 'scheduled' : 'none',
    scheduled_at: later ? request.scheduledAt! : null,
    quality_profile_id: request.qualityProfileId ?? null,
    album_id: null,
    cover_url: request.coverUrl ?? null,
    isrc: request.isrc ?? null,
    musicbrainz_recording_id: request.musicbrainzRecordingId ?? null,
    musicbrainz_release_id: request.musicbrainzReleaseId ?? null,
    musicbrainz_artist_id: request.musicbrainzArtistId ?? null,
    musicbrainz_release_group_id: request.musicbrainzReleaseGroupId ?? null,
    track_total: request.trackTotal ?? null,
    disc_total: request.discTotal ?? null,
  };
}

/**
 * Positions for `n` downloads accepted together at time `t`, in request order: keys strictly
 * between the keys of `t` and `t + 1`, so they keep their order among themselves (the same creation
 * time would otherwise leave it to their random ids) and their place among single accepts.
 */
export function positionsAt(t: number, n: number): string[] {
  return generateNKeysBetween(keyForTime(t), keyForTime(t + 1), n);
}

/** How many times rows that lost an insert race but found no active row are inserted again. */
const RACE_ROUNDS = 5;

/**
 * Accepts rows inside `tx`, in order: a track with an active download gets that download, a track
 * asked for twice in the batch is created once, and new downloads beyond `maxQueueSize` (0 = no
 * limit) are rejected. The created rows' events are appended last in the same transaction, so a
 * download and its event commit together or not at all.
 *
 * The limit is checked once per batch: one count of unfinished downloads (stopping at the limit)
 * inside the batch's write transaction, which on PostgreSQL also holds the accept lock, so the count
 * cannot go stale before this batch's rows commit, in this process or another. Exact, for the price
 * of one index walk of at most `maxQueueSize` entries per batch rather than per request.
 */
export async function acceptRows(
  deps: { accept: AcceptRepository; events: Pick<EventLog, 'appendMany'> },
  tx: Db,
  rows: Insertable<DownloadsTable>[],
  maxQueueSize: number,
): Promise<AcceptOutcome[]> {
  const { accept } = deps;
  if (maxQueueSize > 0) await accept.lockAccepts(tx);
  const keys = [...new Set(rows.map((r) => r.dedupe_key))];
  const active = await accept.activeByKeys(tx, keys);
  const outcomes: (AcceptOutcome | undefined)[] = new Array<undefined>(rows.length);
  const firstOf = new Map<string, number>();
  const fresh: number[] = [];
  rows.forEach((row, i) => {
    const existing = active.get(row.dedupe_key);
    if (existing) outcomes[i] = { kind: 'existing', row: existing };
    else if (firstOf.has(row.dedupe_key))
      return; // resolved below, once the first one is
    else {
      firstOf.set(row.dedupe_key, i);
      fresh.push(i);
    }
  });

  let admitted = fresh;
  if (maxQueueSize > 0 && fresh.length > 0) {
    const count = await accept.countActive(tx, maxQueueSize);
    const room = Math.max(0, maxQueueSize - count);
    admitted = fresh.slice(0, room);
    for (const i of fresh.slice(room)) outcomes[i] = { kind: 'rejected', active: count };
  }

  let pending = admitted;
  for (let round = 0; pending.length > 0; round++) {
    if (round === RACE_ROUNDS) throw new Error('accept: the insert kept losing races');
    const inserted = await accept.insertNew(
      tx,
      pending.map((i) => rows[i] as Insertable<DownloadsTable>),
    );
    const byId = new Map(inserted.map((r) => [r.id, r]));
    const lost: number[] = [];
    for (const i of pending) {
      const row = byId.get((rows[i] as Insertable<DownloadsTable>).id);
      if (row) outcomes[i] = { kind: 'created', row };
      else lost.push(i);
    }
    if (lost.length === 0) break;
    // Another process inserted the same track after our look-up (PostgreSQL): take its row; if
    // that one has finished already, ours may go in after all.
    const winners = await accept.activeByKeys(
      tx,
      lost.map((i) => (rows[i] as Insertable<DownloadsTable>).dedupe_key),
    );
    pending = [];
    for (const i of lost) {
      const winner = winners.get((rows[i] as Insertable<DownloadsTable>).dedupe_key);
      if (winner) outcomes[i] = { kind: 'existing', row: winner };
      else pending.push(i);
    }
  }

  rows.forEach((row, i) => {
    if (outcomes[i]) return;
    const first = firstOf.get(row.dedupe_key) as number;
    const firstOutcome = outcomes[first] as AcceptOutcome;
    outcomes[i] =
      firstOutcome.kind === 'rejected'
        ? firstOutcome
        : { kind: 'duplicate', of: first, row: firstOutcome.row };
  });

  const created = outcomes.flatMap((o) => (o?.kind === 'created' ? [o.row] : []));
  // A new download has no attempts yet: its Download needs no second read.
  await deps.events.appendMany(
    tx,
    created.map((row) => ({ type: 'download.updated', payload: toDownloadDto(row, []) })),
  );
  return outcomes as AcceptOutcome[];
}
