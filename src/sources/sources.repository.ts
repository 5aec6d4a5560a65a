import type { Kysely } from 'kysely';
import type { Db } from '../db/database.js';
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

/** provider_configs SQL, one operation per function. */
export function createSourcesRepository(root: Db) {
  const db = sourcesDb(root);
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
  };
}

export type SourcesRepository = ReturnType<typeof createSourcesRepository>;
