import { sql, type Kysely } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { Database } from '../db/schema.js';

/**
 * Migration 029's table: the indexers and download clients added through the API. Its Kysely type
 * lives with the feature (as feeds.tables.ts does); `sourcesDb` widens a handle's type to see it.
 */
export interface ProviderConfigsTable {
  id: string;
  role: 'indexer' | 'client';
  type: string;
  /** The adapter's settings as JSON text, secret included (never returned by the API). */
  settings: string;
  enabled: number;
  position: number;
  updated_at: number;
}

export type ProviderConfigRow = ProviderConfigsTable;
type SourcesDb = Kysely<Database & { provider_configs: ProviderConfigsTable }>;
const sourcesDb = (db: Db): SourcesDb => db as unknown as SourcesDb;

/** The advisory lock that makes source writes take turns on PostgreSQL (two 32-bit keys). */
const SOURCES_WRITE_LOCK = [0x50f7, 0x5c0f] as const;

/**
 * provider_configs SQL, one operation per function. `exclusive` runs a check and the write it
 * allows as one step: writes that look at other rows (an indexer names a client that must exist; a
 * client may not be removed while an indexer names it) take turns across requests and processes,
 * so a check can never pass on a row another write is removing at the same moment.
 */
export function createSourcesRepository(handle: DatabaseHandle) {
  return {
    ...operations(handle.db),
    /** A plain write transaction (no turn-taking), for writes that check nothing else. */
    transaction<T>(fn: (ops: SourcesOperations, tx: Db) => Promise<T>): Promise<T> {
      return handle.writeTx((tx) => fn(operations(tx), tx));
    },
    /** `fn` gets the operations inside the transaction, and the transaction for its event. */
    exclusive<T>(fn: (ops: SourcesOperations, tx: Db) => Promise<T>): Promise<T> {
      return handle.writeTx(async (tx) => {
        // First in the transaction, so every read below sees the previous write committed.
        // SQLite's write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        if (handle.dialect === 'postgres')
          await sql`SELECT pg_advisory_xact_lock(${SOURCES_WRITE_LOCK[0]}, ${SOURCES_WRITE_LOCK[1]})`.execute(
            tx,
          );
        return fn(operations(tx), tx);
      });
    },
  };
}

function operations(handle: Db) {
  const db = sourcesDb(handle);
  return {
    /** Every row, in the set's order: by role, then position (id breaks a tie). */
    list(): Promise<ProviderConfigRow[]> {
      return db
        .selectFrom('provider_configs')
        .selectAll()
        .orderBy('role')
        .orderBy('position')
        .orderBy('id')
        .execute();
    },
    get(id: string): Promise<ProviderConfigRow | undefined> {
      return db.selectFrom('provider_configs').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** false: the id is taken (the primary key refused it; a race between two creates). */
    async insert(row: ProviderConfigRow): Promise<boolean> {
      const result = await db
        .insertInto('provider_configs')
        .values(row)
        .onConflict((c) => c.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    /**
     * Writes the row only if it is still the one read (its `updated_at`, which every write moves
     * on): false when it was removed or changed meanwhile (by another request or process).
     */
    async update(
      id: string,
      readAt: number,
      fields: Pick<ProviderConfigRow, 'type' | 'settings' | 'enabled' | 'position' | 'updated_at'>,
    ): Promise<boolean> {
      const result = await db
        .updateTable('provider_configs')
        .set(fields)
        .where('id', '=', id)
        .where('updated_at', '=', readAt)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /**
     * How many attempts may hold a transfer at client `id` now (pending or enqueued: the states a
     * transfer is followed in, download.repository.ts OPEN_ATTEMPT_STATES).
     */
    async openTransfersAt(id: string): Promise<number> {
      const row = await db
        .selectFrom('attempts')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('provider', '=', id)
        .where('state', 'in', ['pending', 'enqueued'])
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    /** false: no such row. */
    async remove(id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('provider_configs')
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    /**
     * Forgets a provider id as the one to search first on up to `limit` downloads not completed
     * (a failed or cancelled one can be retried; a completed one keeps it as its history), and
     * answers their ids for the event. Called until it answers fewer than `limit`. With `before`,
     * only a preference stored before then: one made earlier, or a track made later for an album
     * made earlier (the album's folder search gives its tracks the album's preference).
     */
    async clearPreferredDownloads(
      providerId: string,
      now: number,
      limit: number,
      before?: number,
    ): Promise<string[]> {
      const rows = await db
        .updateTable('downloads')
        .set({ preferred_provider: null, updated_at: now })
        .where('id', 'in', (eb) => {
          const preferring = eb
            .selectFrom('downloads')
            .select('id')
            .where('preferred_provider', '=', providerId)
            .where('status', '<>', 'completed');
          return (
            before === undefined
              ? preferring
              : preferring.where((w) =>
                  w.or([
                    w('created_at', '<', before),
                    w(
                      'album_id',
                      'in',
                      w.selectFrom('albums').select('id').where('created_at', '<', before),
                    ),
                  ]),
                )
          ).limit(limit);
        })
        // Again outside: on PostgreSQL a row changed while this waited for its lock is checked
        // against these once more (a download completed meanwhile keeps its history).
        .where('preferred_provider', '=', providerId)
        .where('status', '<>', 'completed')
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    },
    /** The same for every album (one statement: albums are few); their ids, for the events. */
    async clearPreferredAlbums(
      providerId: string,
      now: number,
      before?: number,
    ): Promise<string[]> {
      let query = db
        .updateTable('albums')
        .set({ preferred_provider: null, updated_at: now })
        .where('preferred_provider', '=', providerId);
      if (before !== undefined) query = query.where('created_at', '<', before);
      const rows = await query.returning('id').execute();
      return rows.map((r) => r.id);
    },
  };
}

export type SourcesOperations = ReturnType<typeof operations>;
export type SourcesRepository = ReturnType<typeof createSourcesRepository>;
