import type { Kysely } from 'kysely';

/**
 * Indexers and download clients configured through the API (src/sources; docs/architecture.md,
 * "The live provider set"), beside the ones from SOULSPOT_INDEXERS / SOULSPOT_DOWNLOAD_CLIENTS.
 *
 * `id` is the user's slug, one namespace for both roles (an indexer names its client by it);
 * `role` is indexer | client; `type` the adapter (torznab | newznab; qbittorrent | sabnzbd |
 * nzbget); `settings` the adapter's settings as JSON text, secret included (the API never returns
 * it); `enabled` 0/1 in both dialects; `position` the order within the role. `updated_at` (epoch
 * ms) changes with every write: every process polls max(updated_at) and the row count to see a
 * change made elsewhere within about a second.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('provider_configs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('provider_configs').execute();
}
