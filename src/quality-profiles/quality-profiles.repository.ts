import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { QualityProfilesTable } from '../db/schema.js';
import { ACTIVE_STATUSES } from '../downloads/download.js';

export type QualityProfileRow = Selectable<QualityProfilesTable>;

/** The advisory lock that makes default changes take turns on PostgreSQL (two 32-bit keys). */
const DEFAULT_CHANGE_LOCK = [0x50f7, 0x0d3f] as const;

/**
 * Quality-profile SQL, one operation per function. The rule they share: at most one row has
 * is_default = 1 (a partial unique index enforces it); the service keeps it exactly one by
 * clearing the old default and setting the new one in one transaction, and by never deleting or
 * un-defaulting the default. Functions that take `tx` run inside the caller's transaction.
 */
export function createQualityProfileRepository(handle: DatabaseHandle) {
  const { db, dialect } = handle;
  return {
    /** Every profile: the built-ins in their fixed order, then the others oldest first. */
    list(): Promise<QualityProfileRow[]> {
      return db
        .selectFrom('quality_profiles')
        .selectAll()
        .orderBy('built_in', 'desc')
        .orderBy('created_at')
        .orderBy('id')
        .execute();
    },

    /**
     * Makes transactions that change the default take turns (PostgreSQL; SQLite's write
     * transactions already do). Without it, two of them each clear the old default, neither sees
     * the other's uncommitted new one, and the second meets the one-default index. Taken first in
     * the transaction, so every later statement sees the previous change committed.
     */
    async lockDefaultChanges(tx: Db): Promise<void> {
      if (dialect !== 'postgres') return;
      await sql`SELECT pg_advisory_xact_lock(${DEFAULT_CHANGE_LOCK[0]}, ${DEFAULT_CHANGE_LOCK[1]})`.execute(
        tx,
      );
    },

    get(id: string, tx: Db = db): Promise<QualityProfileRow | undefined> {
      return tx.selectFrom('quality_profiles').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /**
     * The row, locked until the end of `tx` on PostgreSQL (a concurrent change of the same profile
     * waits, so a merge never works on a stale copy). SQLite's write transaction already excludes it.
     */
    getForUpdate(id: string, tx: Db): Promise<QualityProfileRow | undefined> {
      let query = tx.selectFrom('quality_profiles').selectAll().where('id', '=', id);
      if (dialect === 'postgres') query = query.forUpdate();
      return query.executeTakeFirst();
    },

    /** The default profile; undefined only if the table was emptied by hand. */
    getDefault(): Promise<QualityProfileRow | undefined> {
      return db
        .selectFrom('quality_profiles')
        .selectAll()
        .where('is_default', '=', 1)
        .executeTakeFirst();
    },

    /** Throws a unique violation when the name (name_key) or a second default is taken. */
    async insert(row: Insertable<QualityProfilesTable>, tx: Db): Promise<QualityProfileRow> {
      return tx.insertInto('quality_profiles').values(row).returningAll().executeTakeFirstOrThrow();
    },

    /** Undefined when the row is gone; throws a unique violation as insert does. */
    update(
      id: string,
      patch: Updateable<QualityProfilesTable>,
      tx: Db,
    ): Promise<QualityProfileRow | undefined> {
      return tx
        .updateTable('quality_profiles')
        .set(patch)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Clears the default flag on every row but `keepId` (0 or 1 rows) and returns those rows as
     * they are now: each is a changed profile the caller announces.
     */
    clearDefault(keepId: string, tx: Db): Promise<QualityProfileRow[]> {
      return tx
        .updateTable('quality_profiles')
        .set({ is_default: 0 })
        .where('is_default', '=', 1)
        .where('id', '<>', keepId)
        .returningAll()
        .execute();
    },

    /** Which of these ids are profiles (the ids a download request names: a handful). */
    async existingIds(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set();
      const rows = await db
        .selectFrom('quality_profiles')
        .select('id')
        .where('id', 'in', ids)
        .execute();
      return new Set(rows.map((r) => r.id));
    },

    /**
     * Unfinished downloads that name this profile (the downloads_quality_profile index). Inside the
     * delete's transaction, after getForUpdate: on PostgreSQL that row lock waits for an accept
     * whose foreign-key check holds the row, so its download is counted here; a later accept's
     * check waits for the delete and then fails.
     */
    async countActiveNaming(id: string, tx: Db): Promise<number> {
      const row = await tx
        .selectFrom('downloads')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('quality_profile_id', '=', id)
        .where('status', 'in', ACTIVE_STATUSES)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Deletes the profile unless it is the default or a built-in, in one statement, so a profile
     * made the default meanwhile is never deleted (PostgreSQL re-checks the row after its lock).
     * Finished downloads that named it let it go (the foreign key's ON DELETE SET NULL).
     * false = nothing deleted: the caller finds out why.
     */
    async deleteDeletable(id: string, tx: Db): Promise<boolean> {
      const result = await tx
        .deleteFrom('quality_profiles')
        .where('id', '=', id)
        .where('is_default', '=', 0)
        .where('built_in', '=', 0)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}

export type QualityProfileRepository = ReturnType<typeof createQualityProfileRepository>;
