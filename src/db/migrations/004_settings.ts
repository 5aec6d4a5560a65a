import type { Kysely } from 'kysely';

/**
 * Settings changed at run time, one row per key. A missing row means "the default" (from the
 * environment), so a changed SOULSPOT_* variable still applies to every key nobody set through the
 * API. `value` is JSON; every read validates it again (settings.definitions.ts), so a row written
 * by an older or newer version with other limits falls back to the default instead of breaking.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('settings').execute();
}
