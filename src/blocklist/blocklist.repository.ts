import { sql, type Insertable, type Selectable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { BlocklistTable } from '../db/schema.js';
import { fileKeyOf } from '../db/migrations/010_blocklist_file_key.js';
import type { SourceRef } from '../providers/release.js';

export type BlocklistRow = Selectable<BlocklistTable>;

/** The filename stored for an entry that blocks every file of a user (see migration 002). */
export const WHOLE_USER = '';

/** A row as the service writes it: always naming its provider. */
export type NewBlocklistRow = Omit<Insertable<BlocklistTable>, 'file_key' | 'provider'> & {
  provider: string;
};

/**
 * The unique index is (provider, username, file_key), a digest of the name (migrations 010, 019):
 * a row as written, with its key. Every write and every lookup by name goes through the key.
 */
export const withFileKey = (row: NewBlocklistRow): Insertable<BlocklistTable> => ({
  ...row,
  file_key: fileKeyOf(row.filename ?? WHOLE_USER),
});

/** The unique index's columns: one entry per (source, file). */
const SOURCE_KEY = ['provider', 'username', 'file_key'] as const;

/** Source names grouped by provider: lookups are `provider = ? AND username IN (…)`. */
export function byProvider(sources: readonly SourceRef[]): Map<string, string[]> {
  const groups = new Map<string, Set<string>>();
  for (const s of sources) {
    const names = groups.get(s.provider) ?? new Set<string>();
    names.add(s.username);
    groups.set(s.provider, names);
  }
  return new Map([...groups].map(([provider, names]) => [provider, [...names]]));
}

/**
 * Lookups by username go in slices: a search can name thousands of peers, more than SQLite's
 * bound-parameter limit allows in one IN list.
 */
const IN_LIST_SIZE = 500;

export function inSlices<T>(values: T[]): T[][] {
  const slices: T[][] = [];
  for (let i = 0; i < values.length; i += IN_LIST_SIZE)
    slices.push(values.slice(i, i + IN_LIST_SIZE));
  return slices;
}

/** Blocklist SQL. "In force" always means: no expiry, or an expiry still in the future. */
export function createBlocklistRepository(handle: DatabaseHandle) {
  const { db } = handle;

  return {
    /** Entries in force, newest first; only one provider's with `provider`. */
    listActive(now: number, provider?: string): Promise<BlocklistRow[]> {
      return db
        .selectFrom('blocklist')
        .selectAll()
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .$if(provider !== undefined, (q) => q.where('provider', '=', provider!))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },

    /** The entries in force for these sources; filename '' = every file of the source. */
    async activeFor(
      sources: readonly SourceRef[],
      now: number,
    ): Promise<Pick<BlocklistRow, 'provider' | 'username' | 'filename'>[]> {
      const rows: Pick<BlocklistRow, 'provider' | 'username' | 'filename'>[] = [];
      for (const [provider, usernames] of byProvider(sources)) {
        for (const slice of inSlices(usernames)) {
          rows.push(
            ...(await db
              .selectFrom('blocklist')
              .select(['provider', 'username', 'filename'])
              .where('provider', '=', provider)
              .where('username', 'in', slice)
              .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
              .execute()),
          );
        }
      }
      return rows;
    },

    get(id: string): Promise<BlocklistRow | undefined> {
      return db.selectFrom('blocklist').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** Inserts the entry unless one exists for its (source, filename); undefined then. */
    insertIfAbsent(row: NewBlocklistRow): Promise<BlocklistRow | undefined> {
      return db
        .insertInto('blocklist')
        .values(withFileKey(row))
        .onConflict((oc) => oc.columns(SOURCE_KEY).doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * An operator's decision replaces whatever was there: the entry becomes manual with the given
     * expiry. `reason` undefined keeps the old reason (an auto entry's explanation stays useful).
     */
    updateManual(
      source: SourceRef,
      filename: string,
      patch: { reason?: string | null; expires_at: number | null },
    ): Promise<BlocklistRow | undefined> {
      return db
        .updateTable('blocklist')
        .set({
          source: 'manual',
          expires_at: patch.expires_at,
          ...(patch.reason !== undefined ? { reason: patch.reason } : {}),
        })
        .where('provider', '=', source.provider)
        .where('username', '=', source.username)
        .where('file_key', '=', fileKeyOf(filename))
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * An automatic block. One statement, so two processes blocking the same source at once end with
     * one entry. An entry still in force keeps its origin and reason (a manual entry stays manual)
     * and only ever lasts longer: the later expiry wins and permanent beats any. A lapsed entry the
     * hourly cleanup has not removed yet is replaced as if it were new.
     */
    upsertAuto(row: NewBlocklistRow, now: number, tx: Db = db): Promise<BlocklistRow> {
      const inForce = sql<boolean>`(blocklist.expires_at IS NULL OR blocklist.expires_at > ${now})`;
      return tx
        .insertInto('blocklist')
        .values(withFileKey(row))
        .onConflict((oc) =>
          oc.columns(SOURCE_KEY).doUpdateSet({
            reason: sql`CASE WHEN ${inForce} THEN blocklist.reason ELSE excluded.reason END`,
            source: sql`CASE WHEN ${inForce} THEN blocklist.source ELSE excluded.source END`,
            created_at: sql`CASE WHEN ${inForce} THEN blocklist.created_at ELSE excluded.created_at END`,
            failure_count: sql`CASE WHEN ${inForce}
              THEN blocklist.failure_count + excluded.failure_count
              ELSE excluded.failure_count END`,
            expires_at: sql`CASE
              WHEN NOT ${inForce} THEN excluded.expires_at
              WHEN blocklist.expires_at IS NULL OR excluded.expires_at IS NULL THEN NULL
              WHEN blocklist.expires_at > excluded.expires_at THEN blocklist.expires_at
              ELSE excluded.expires_at END`,
          }),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Removes one source's entry if it has lapsed, so a new one starts from scratch. */
    async deleteLapsed(source: SourceRef, filename: string, now: number): Promise<void> {
      await db
        .deleteFrom('blocklist')
        .where('provider', '=', source.provider)
        .where('username', '=', source.username)
        .where('file_key', '=', fileKeyOf(filename))
        .where('expires_at', '<=', now)
        .execute();
    },

    async remove(id: string): Promise<boolean> {
      const result = await db.deleteFrom('blocklist').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },

    async deleteExpired(now: number): Promise<number> {
      const result = await db
        .deleteFrom('blocklist')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type BlocklistRepository = ReturnType<typeof createBlocklistRepository>;
