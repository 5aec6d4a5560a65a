import type { DatabaseHandle } from '../db/database.js';
import type { Lease } from '../queue/queue.repository.js';
import { TRANSFER_STATUSES } from './download.js';

/**
 * The prefetcher's SQL, one operation per function. The rule it keeps: a search done ahead of time
 * is written only to a download that nobody has claimed or changed since it was read (no lease
 * owner, still `waiting` with no candidates and no search of its own, not held, and the same
 * `updated_at`), in one conditional UPDATE. So it never races a worker: a claim sets
 * `lease_owner` (the UPDATE then matches nothing), and a worker that claims after the UPDATE reads
 * the candidates like any others. It touches neither the lease, the order nor `updated_at`, so a
 * download prefetched for keeps its place and runs once. Candidates are not part of the Download a
 * user sees, so the write appends no event.
 */

/** A download among the next to be claimed, as the prefetcher needs it. */
export interface NextDue {
  id: string;
  artist: string;
  title: string;
  album: string | null;
  duration_seconds: number | null;
  /** The profile its search ranks with (null = the default). */
  quality_profile_id?: string | null;
  /** The indexer it searches first, when it names one (a watch rule's or a request's). */
  preferred_provider?: string | null;
  updated_at: number;
  /** Waiting, no candidates, no search of its own and at its first query: worth searching ahead. */
  searchable: boolean;
}

/**
 * Marks (migration 013) keep processes from searching the same download ahead: a mark is taken
 * only over none or an expired one, in one upsert; only its owner ends or rewrites it.
 */
export interface PrefetchMark {
  id: string;
  /** True while its search runs; false once it found nothing usable (others leave it alone). */
  searching: boolean;
}

export function createPrefetchRepository(handle: DatabaseHandle) {
  const { db } = handle;

  return {
    /** Takes the mark on `id` for `owner` until `until`; false when another live mark holds it. */
    async takeMark(id: string, owner: string, now: number, until: number): Promise<boolean> {
      const row = await db
        .insertInto('prefetch_marks')
        .values({ download_id: id, owner, searching: 1, until })
        .onConflict((oc) =>
          oc
            .column('download_id')
            .doUpdateSet({ owner, searching: 1, until })
            .where('prefetch_marks.until', '<=', now),
        )
        .returning('download_id')
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Ends this owner's mark: removed, or with `triedUntil` kept as "searched, nothing usable" so
     * no process searches it ahead again before then (its worker walks the looser queries).
     */
    async endMark(id: string, owner: string, triedUntil: number | null): Promise<void> {
      if (triedUntil === null) {
        await db
          .deleteFrom('prefetch_marks')
          .where('download_id', '=', id)
          .where('owner', '=', owner)
          .execute();
        return;
      }
      await db
        .updateTable('prefetch_marks')
        .set({ searching: 0, until: triedUntil })
        .where('download_id', '=', id)
        .where('owner', '=', owner)
        .execute();
    },

    /** Live marks of every process. */
    async liveMarks(now: number): Promise<PrefetchMark[]> {
      const rows = await db
        .selectFrom('prefetch_marks')
        .select(['download_id', 'searching'])
        .where('until', '>', now)
        .execute();
      return rows.map((r) => ({ id: r.download_id, searching: Number(r.searching) === 1 }));
    },

    /** Drops expired marks (their downloads ran, or the process that took them is gone). */
    async sweepMarks(now: number): Promise<void> {
      await db.deleteFrom('prefetch_marks').where('until', '<=', now).execute();
    },

    /**
     * Whether a search ahead for `id` is still worth finishing: the download is still waiting,
     * not held, and has neither candidates nor a search of its own (a pause, a cancel, a
     * deletion or another process's worker make it false).
     */
    async stillSearchable(id: string): Promise<boolean> {
      const row = await db
        .selectFrom('downloads')
        .select('id')
        .where('id', '=', id)
        .where('status', '=', 'waiting')
        .where('hold', '=', 'none')
        .where('search_id', 'is', null)
        .where('candidates', 'is', null)
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * The next `limit` downloads the transfer claim would take once slots free, in its order (priority desc,
     * position, created, id; the `downloads_queue` index): due, not held, not parked, not leased.
     * Parked downloads that became ready come first at a claim but need no search, so they are not
     * read here.
     */
    async nextDue(now: number, limit: number): Promise<NextDue[]> {
      const rows = await db
        .selectFrom('downloads')
        .select([
          'id',
          'artist',
          'title',
          'album',
          'duration_seconds',
          'quality_profile_id',
          'updated_at',
          'status',
          'search_id',
          'query_index',
          'lease_owner',
          'preferred_provider',
        ])
        .select((eb) => eb('candidates', 'is', null).as('no_candidates'))
        // The transfer pool's claim order: files waiting for a filing slot take no place here.
        .where('status', 'in', TRANSFER_STATUSES)
        .where('hold', '=', 'none')
        // A retry waiting out its backoff is out of the claim's order until woken (migration 035).
        .where('next_retry_at', 'is', null)
        .where('run_after', '<=', now)
        .where('source_wait', 'is', null)
        .where((eb) =>
          eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]),
        )
        .orderBy('priority', 'desc')
        .orderBy('position', 'asc')
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        artist: r.artist,
        title: r.title,
        album: r.album,
        duration_seconds: r.duration_seconds,
        quality_profile_id: r.quality_profile_id,
        preferred_provider: r.preferred_provider,
        updated_at: Number(r.updated_at),
        searchable:
          r.status === 'waiting' &&
          r.lease_owner === null &&
          Boolean(r.no_candidates) &&
          r.search_id === null &&
          r.query_index === 0,
      }));
    },

    /**
     * Workers searching now, in every process (live leases in `searching`): searches the prefetcher
     * gives way to, since slskd runs only a couple at once.
     */
    async searchingNow(now: number): Promise<number> {
      const row = await db
        .selectFrom('downloads')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('lease_expires_at', '>', now)
        .where('status', '=', 'searching')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Stores a search done ahead of time on a download nobody has touched since `nextDue` read it
     * (the rule above). False when it matched nothing: claimed, changed, held or searched meanwhile;
     * the result is then dropped.
     */
    async storeCandidates(id: string, readUpdatedAt: number, candidates: string): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ candidates })
        .where('id', '=', id)
        .where('updated_at', '=', readUpdatedAt)
        .where('lease_owner', 'is', null)
        .where('status', '=', 'waiting')
        .where('hold', '=', 'none')
        .where('source_wait', 'is', null)
        .where('search_id', 'is', null)
        .where('query_index', '=', 0)
        .where('candidates', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Stores a search ahead that was still running when this process claimed the download, fenced
     * by that claim's lease and written before its worker starts (main.ts), so no write of the
     * worker's can race it. False when it matched nothing.
     */
    async storeForClaim(lease: Lease, candidates: string): Promise<boolean> {
      const result = await db
        .updateTable('downloads')
        .set({ candidates })
        .where('id', '=', lease.downloadId)
        .where('lease_owner', '=', lease.owner)
        .where('lease_token', '=', lease.token)
        .where('status', '=', 'waiting')
        .where('search_id', 'is', null)
        .where('query_index', '=', 0)
        .where('candidates', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type PrefetchRepository = ReturnType<typeof createPrefetchRepository>;
