import type { WireStatus } from './download.dto.js';
import {
  sql,
  type ExpressionBuilder,
  type Insertable,
  type RawBuilder,
  type Selectable,
  type Updateable,
} from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { AttemptsTable, Database, DownloadsTable } from '../db/schema.js';
import { LeaseLostError, type Lease } from '../queue/queue.repository.js';
import { DUE_NOW } from '../queue/retry-wake.repository.js';
import type { QueueCursor } from './list-cursor.js';
import { ACTIVE_STATUSES, type DownloadStatus } from './download.js';
import { UNAVAILABLE_CODES } from './error-codes.js';
import { SLSKD, sourceKey, type SourceRef } from '../providers/release.js';

export type DownloadRow = Selectable<DownloadsTable>;
export type AttemptRow = Selectable<AttemptsTable>;

export interface ListQuery {
  /** Wire statuses (download.dto.ts): the stored ones plus `paused` and `scheduled`. */
  statuses?: WireStatus[];
  /** The provider of the download's current source (attempt). */
  provider?: string;
  /** Case-insensitive substring of artist, title or album (the batch filter's `text` rule). */
  text?: string;
  limit: number;
  /** Keyset cursor of newest/oldest: the (created_at, id) of the last item of the previous page. */
  after?: { createdAt: number; id: string };
  /** Keyset cursor of `queue`: the last item's place in the queue order. */
  afterQueued?: QueueCursor;
  /** `queue`: the order the runner claims in (priority desc, position, age, id). */
  order: 'newest' | 'oldest' | 'queue';
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * THE text filter of the download list and of batch filters: `text` anywhere in the artist, title
 * or album, taken literally (LIKE wildcards escaped, ESCAPE '\\'), with A–Z folded to a–z and
 * nothing else. ASCII only, and the same on both databases: SQLite's lower() folds only A–Z, while
 * PostgreSQL's folds by the database's locale ("Ä" to "ä" with a UTF-8 one), so there it is
 * spelled translate(). The queue page keeps live-patched rows by the same rule
 * (web/src/queue/rows.ts foldAscii), and test/web-text-filter.test.ts holds the three together.
 */
export function textMatches(text: string, dialect: DatabaseHandle['dialect']) {
  const folded = text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  const pattern = `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const fold = (column: RawBuilder<unknown>) =>
    dialect === 'postgres'
      ? sql`translate(${column}, ${UPPER}, ${UPPER.toLowerCase()})`
      : sql`lower(${column})`;
  return sql<boolean>`(${fold(sql.ref('artist'))} LIKE ${pattern} ESCAPE '\\'
    OR ${fold(sql.ref('title'))} LIKE ${pattern} ESCAPE '\\'
    OR ${fold(sql`coalesce(album, '')`)} LIKE ${pattern} ESCAPE '\\')`;
}

/**
 * The partial index's predicate, spelled exactly as in the migration: SQLite only accepts an ON
 * CONFLICT target whose WHERE matches the index literally (bound parameters do not).
 */
const ACTIVE_INDEX_PREDICATE = sql<boolean>`status IN ('waiting', 'searching', 'queued', 'downloading', 'processing')`;

/** Attempt states in which the attempt may hold a transfer at the daemon that someone follows. */
const OPEN_ATTEMPT_STATES = ['pending', 'enqueued'] as const;

/**
 * THE fencing rule for attempts. A worker's attempt write applies only while the attempt's download
 * row still carries the worker's lease (owner AND token), checked in the same statement; zero rows
 * means the lease is gone and the write throws LeaseLostError, exactly like the download writes in
 * queue.repository.ts. So a worker that was paused, partitioned or overtaken can no longer record an
 * enqueue, an outcome or a file on an attempt that a newer owner now drives. Commands from outside
 * (cancel) hold no lease: they bump the token instead and write through `commandUpdateAttempt`.
 */
const heldBy = (lease: Lease) => (eb: ExpressionBuilder<Database, 'attempts'>) =>
  eb.and([
    eb('attempts.download_id', '=', lease.downloadId),
    eb.exists(
      eb
        .selectFrom('downloads')
        .select('downloads.id')
        .whereRef('downloads.id', '=', 'attempts.download_id')
        .where('downloads.lease_owner', '=', lease.owner)
        .where('downloads.lease_token', '=', lease.token),
    ),
  ]);

/** An attempt with what the orphan sweep needs to know about its download. */
export interface AttemptWithDownload {
  id: string;
  /** The client the attempt went to (absent in hand-built rows: any). */
  provider?: string;
  transfer_id: string | null;
  batch_id: string;
  username: string;
  filename: string;
  state: string;
  created_at: number;
  download_status: string;
  current_attempt_id: string | null;
}

/** Keeps IN lists well below every driver's parameter limit. */
const CHUNK = 500;

/** Downloads and attempts SQL for the service and the pipeline; writes that need a lease live in queue/. */
export function createDownloadRepository(handle: DatabaseHandle) {
  const { db } = handle;

  /** The list's filters (status, provider, text), shared by every order. */
  const filtered = (q: ListQuery) => {
    let query = db.selectFrom('downloads').selectAll();
    if (q.statuses && q.statuses.length > 0) {
      const statuses = q.statuses;
      // Wire statuses: `paused`/`scheduled` are holds of unfinished downloads, which then no
      // longer show their status underneath; finished ones show their status whatever the hold.
      const holds = statuses.filter((s) => s === 'paused' || s === 'scheduled');
      const stored = statuses.filter((s) => s !== 'paused' && s !== 'scheduled');
      query = query.where((eb) =>
        eb.or([
          ...(stored.length > 0
            ? [
                eb.and([
                  eb('status', 'in', stored),
                  eb.or([eb('hold', '=', 'none'), eb('status', 'not in', ACTIVE_STATUSES)]),
                ]),
              ]
            : []),
          ...(holds.length > 0
            ? [eb.and([eb('hold', 'in', holds), eb('status', 'in', ACTIVE_STATUSES)])]
            : []),
        ]),
      );
    }
    if (q.provider !== undefined) {
      const provider = q.provider;
      // The provider of the source the download is on now (its current attempt), as the
      // Download's `source.provider` shows it; one primary-key probe per row read.
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('attempts')
            .select('attempts.id')
            .whereRef('attempts.id', '=', 'downloads.current_attempt_id')
            .where('attempts.provider', '=', provider),
        ),
      );
    }
    if (q.text !== undefined) query = query.where(textMatches(q.text, handle.dialect));
    return query;
  };

  /**
   * A page in queue order from its cursor, walking `downloads_queue_order` (migration 025). The
   * order mixes directions (priority desc, the rest asc), which no single row-value comparison
   * expresses, and the OR form would read every row before the cursor. So: the rest of the
   * cursor's priority as one index range, then, if the page is not full, the lower priorities as
   * another.
   */
  const listQueued = async (q: ListQuery): Promise<DownloadRow[]> => {
    const ordered = (query: ReturnType<typeof filtered>, limit: number) =>
      query
        .orderBy('priority', 'desc')
        .orderBy('position', 'asc')
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
    const c = q.afterQueued;
    if (!c) return ordered(filtered(q), q.limit);
    const same = await ordered(
      filtered(q)
        .where('priority', '=', c.priority)
        .where((eb) =>
          eb(
            eb.refTuple('position', 'created_at', 'id'),
            '>',
            eb.tuple(c.position, c.createdAt, c.id),
          ),
        ),
      q.limit,
    );
    if (same.length >= q.limit) return same;
    const lower = await ordered(
      filtered(q).where('priority', '<', c.priority),
      q.limit - same.length,
    );
    return [...same, ...lower];
  };

  return {
    /**
     * Inserts a download unless an active one has the same dedupe key; returns the one that exists
     * then. The partial unique index decides races between processes.
     */
    async insertUnlessActive(
      row: Insertable<DownloadsTable>,
    ): Promise<{ row: DownloadRow; created: boolean }> {
      // One statement, one commit: the partial unique index is the conflict target, so a
      // duplicate request inserts nothing and the active row is read instead.
      const inserted = await db
        .insertInto('downloads')
        .values(row)
        .onConflict((oc) => oc.column('dedupe_key').where(ACTIVE_INDEX_PREDICATE).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { row: inserted, created: true };
      const existing = await db
        .selectFrom('downloads')
        .selectAll()
        .where('dedupe_key', '=', row.dedupe_key)
        .where('status', 'in', ACTIVE_STATUSES)
        .executeTakeFirst();
      if (existing) return { row: existing, created: false };
      // The active one finished between the two statements: try once more.
      return this.insertUnlessActive(row);
    },

    get(id: string): Promise<DownloadRow | undefined> {
      return db.selectFrom('downloads').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async list(q: ListQuery): Promise<DownloadRow[]> {
      if (q.order === 'queue') return listQueued(q);
      const desc = q.order === 'newest';
      let query = filtered(q);
      if (q.after) {
        const { createdAt, id } = q.after;
        // A row-value comparison, not `a < x OR (a = x AND b < y)`: both engines turn it into an
        // index range that starts at the cursor, where the OR form was a filter over every row
        // before it (page n cost O(n): 11–19 ms at row 9,000 of 100,000 on PostgreSQL).
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), desc ? '<' : '>', eb.tuple(createdAt, id)),
        );
      }
      return query
        .orderBy('created_at', desc ? 'desc' : 'asc')
        .orderBy('id', desc ? 'desc' : 'asc')
        .limit(q.limit)
        .execute();
    },

    async attemptsFor(downloadIds: string[], tx: Db = db): Promise<AttemptRow[]> {
      if (downloadIds.length === 0) return [];
      return tx
        .selectFrom('attempts')
        .selectAll()
        .where('download_id', 'in', downloadIds)
        .orderBy('created_at', 'asc')
        .orderBy('id', 'asc')
        .execute();
    },

    getAttempt(id: string): Promise<AttemptRow | undefined> {
      return db.selectFrom('attempts').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * A write from outside the worker (cancel, manual retry): it bumps the fencing token so the
     * worker that held the download loses its lease and can write nothing more.
     */
    async commandUpdate(
      id: string,
      fromStatuses: readonly DownloadStatus[],
      patch: Updateable<DownloadsTable>,
    ): Promise<DownloadRow | undefined> {
      return db
        .updateTable('downloads')
        .set((eb) => ({
          ...patch,
          lease_owner: null,
          lease_expires_at: null,
          lease_token: eb('lease_token', '+', 1),
        }))
        .where('id', '=', id)
        .where('status', 'in', fromStatuses)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * A new attempt. The caller runs it in one transaction with a fenced write of the download
     * (queue.fencedUpdate), which is what fences the insert: a lost lease rolls both back.
     */
    insertAttempt(row: Insertable<AttemptsTable>, tx: Db): Promise<unknown> {
      return tx.insertInto('attempts').values(row).execute();
    },

    /** A worker's attempt write, fenced by its lease (the rule above). */
    async updateAttempt(
      lease: Lease,
      id: string,
      patch: Updateable<AttemptsTable>,
      tx: Db = db,
    ): Promise<void> {
      const result = await tx
        .updateTable('attempts')
        .set(patch)
        .where('id', '=', id)
        .where(heldBy(lease))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new LeaseLostError(lease.downloadId);
    },

    /** An attempt write by a command from outside (cancel), which holds no lease. */
    async commandUpdateAttempt(id: string, patch: Updateable<AttemptsTable>): Promise<void> {
      await db.updateTable('attempts').set(patch).where('id', '=', id).execute();
    },

    /**
     * Serializes slot checks for one source across processes sharing PostgreSQL (READ COMMITTED
     * would let two see the same free slot). SQLite's BEGIN IMMEDIATE already serializes every
     * writer. An slskd peer's key is the one it always had, so a process of the previous version
     * running beside this one during an upgrade takes the same lock.
     */
    async lockSource(source: SourceRef, tx: Db): Promise<void> {
      if (handle.dialect === 'postgres') {
        const key =
          source.provider === SLSKD ? `peer:${source.username}` : `peer:${sourceKey(source)}`;
        await sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`.execute(tx);
      }
    },

    /**
     * pending → enqueued, fenced, and only if the attempt is still open. false when either fails:
     * a cancel closed the attempt meanwhile, or another worker took the download over (the caller
     * reads the attempt to tell which).
     */
    async markEnqueued(
      lease: Lease,
      id: string,
      transferId: string,
      now: number,
      tx: Db = db,
    ): Promise<boolean> {
      const result = await tx
        .updateTable('attempts')
        .set({ state: 'enqueued', transfer_id: transferId, updated_at: now })
        .where('id', '=', id)
        .where('state', 'in', OPEN_ATTEMPT_STATES)
        .where(heldBy(lease))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * Whether an active download follows this daemon transfer, or may be about to: its current
     * attempt is still open (or has the file) and carries the transfer id, or is still `pending` for
     * the same user and file (an enqueue slskd answered "already in progress", adopting this very
     * transfer, before the attempt could record its id). Such a transfer must never be cancelled.
     */
    async isTransferFollowed(transfer: {
      id: string;
      username: string;
      /** Without it, only the transfer id is matched. */
      filename?: string;
    }): Promise<boolean> {
      const row = await db
        .selectFrom('attempts')
        .innerJoin('downloads', 'downloads.current_attempt_id', 'attempts.id')
        .select('attempts.id')
        .where('downloads.status', 'in', ACTIVE_STATUSES)
        .where((eb) =>
          eb.or([
            eb.and([
              eb('attempts.transfer_id', '=', transfer.id),
              eb('attempts.state', 'in', [...OPEN_ATTEMPT_STATES, 'succeeded']),
            ]),
            ...(transfer.filename === undefined
              ? []
              : [
                  eb.and([
                    eb('attempts.state', '=', 'pending'),
                    eb('attempts.username', '=', transfer.username),
                    eb('attempts.filename', '=', transfer.filename),
                  ]),
                ]),
          ]),
        )
        .executeTakeFirst();
      return row !== undefined;
    },

    /**
     * Attempts that may have started any of these daemon transfers: by transfer id, by batch id, or
     * (slskd < 0.26, no batch ids) by remote filename. One query per chunk of keys.
     */
    async attemptsForTransfers(keys: {
      transferIds: string[];
      batchIds: string[];
      filenames: string[];
    }): Promise<AttemptWithDownload[]> {
      const found = new Map<string, AttemptWithDownload>();
      const columns = [
        ['attempts.transfer_id', keys.transferIds],
        ['attempts.batch_id', keys.batchIds],
        ['attempts.filename', keys.filenames],
      ] as const;
      for (const [column, values] of columns) {
        const unique = [...new Set(values)];
        for (let i = 0; i < unique.length; i += CHUNK) {
          const rows = await db
            .selectFrom('attempts')
            .innerJoin('downloads', 'downloads.id', 'attempts.download_id')
            .select([
              'attempts.id',
              'attempts.provider',
              'attempts.transfer_id',
              'attempts.batch_id',
              'attempts.username',
              'attempts.filename',
              'attempts.state',
              'attempts.created_at',
              'downloads.status as download_status',
              'downloads.current_attempt_id',
            ])
            .where(column, 'in', unique.slice(i, i + CHUNK))
            .execute();
          for (const row of rows) found.set(row.id, row);
        }
      }
      return [...found.values()];
    },

    /** Takes a download's earlier attempts out of the round count (manual retry starts afresh). */
    async retireAttempts(downloadId: string): Promise<void> {
      await db
        .updateTable('attempts')
        .set({ round: -1 })
        .where('download_id', '=', downloadId)
        .execute();
    },

    /** Attempts that hold (or may hold) a transfer slot at a peer right now. */
    /** Open attempts of active downloads at this source: what its per-source limit counts. */
    async activeAttemptsAt(source: SourceRef, tx: Db = db): Promise<number> {
      const row = await tx
        .selectFrom('attempts')
        .innerJoin('downloads', 'downloads.id', 'attempts.download_id')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attempts.username', '=', source.username)
        .where('attempts.provider', '=', source.provider)
        .where('attempts.state', 'in', OPEN_ATTEMPT_STATES)
        .where('downloads.status', 'in', ACTIVE_STATUSES)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    failedWithCodes(codes: string[]): Promise<DownloadRow[]> {
      return db
        .selectFrom('downloads')
        .selectAll()
        .where('status', '=', 'failed')
        .where('error_code', 'in', codes)
        .orderBy('created_at', 'asc')
        .execute();
    },

    /** Downloads waiting only because the daemon was down become due at once. */
    async hurryDeferred(now: number): Promise<number> {
      const result = await db
        .updateTable('downloads')
        .set(DUE_NOW(now))
        .where('status', 'in', ACTIVE_STATUSES)
        .where('error_code', 'in', UNAVAILABLE_CODES)
        .where('run_after', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async countByStatus(): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('downloads')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
  };
}

export type DownloadRepository = ReturnType<typeof createDownloadRepository>;
