import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Sources are per provider (src/providers/release.ts): the same name at two providers (a Soulseek
 * peer and a Torznab indexer both called "music") is two sources, with their own blocks, failures
 * and track record. So the blocklist, the peer statistics and the failures that count towards a
 * block get a `provider` column, and every key that was the username alone becomes (provider,
 * username). Every row written before this is slskd's (the only provider there was): the column's
 * default says so, for existing rows and for an older process still writing during an upgrade.
 *
 * - `blocklist_source` (the upsert target, migration 010) becomes (provider, username, file_key).
 * - `peer_stats`' primary key becomes (provider, username). PostgreSQL swaps the constraint in
 *   place; SQLite cannot change a primary key, so the table is rebuilt (copy, drop, rename), as
 *   SQLite's own ALTER TABLE documentation prescribes. Kysely runs PostgreSQL migrations in a
 *   transaction but not SQLite's, so on SQLite this one opens its own: a crash mid-way leaves the
 *   old tables, never a half-built peer_stats.
 * - `peer_failures_user_at` becomes (provider, username, at): the window count's index.
 *
 * Attempts already carry their provider (001); the per-source slot count reads it with the username.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  if (postgres) await addProvider(db, true);
  else await db.transaction().execute((tx) => addProvider(tx, false));
}

async function addProvider(db: Kysely<unknown>, postgres: boolean): Promise<void> {
  await db.schema
    .alterTable('blocklist')
    .addColumn('provider', 'text', (c) => c.notNull().defaultTo('slskd'))
    .execute();
  await sql`DROP INDEX blocklist_source`.execute(db);
  await sql`CREATE UNIQUE INDEX blocklist_source ON blocklist (provider, username, file_key)`.execute(
    db,
  );

  await db.schema
    .alterTable('peer_failures')
    .addColumn('provider', 'text', (c) => c.notNull().defaultTo('slskd'))
    .execute();
  await sql`DROP INDEX peer_failures_user_at`.execute(db);
  await sql`CREATE INDEX peer_failures_user_at ON peer_failures (provider, username, at)`.execute(
    db,
  );

  if (postgres) {
    await db.schema
      .alterTable('peer_stats')
      .addColumn('provider', 'text', (c) => c.notNull().defaultTo('slskd'))
      .execute();
    await sql`ALTER TABLE peer_stats DROP CONSTRAINT peer_stats_pkey`.execute(db);
    await sql`ALTER TABLE peer_stats ADD CONSTRAINT peer_stats_pkey PRIMARY KEY (provider, username)`.execute(
      db,
    );
  } else {
    await createPeerStats(db, 'peer_stats_next', ['provider', 'username']);
    await sql`INSERT INTO peer_stats_next (provider, username, successes, failures,
        failures_by_code, bytes, speed_samples, average_speed, last_failure_at, updated_at)
      SELECT 'slskd', username, successes, failures, failures_by_code, bytes, speed_samples,
        average_speed, last_failure_at, updated_at
      FROM peer_stats`.execute(db);
    await sql`DROP TABLE peer_stats`.execute(db);
    await sql`ALTER TABLE peer_stats_next RENAME TO peer_stats`.execute(db);
  }
}

/** peer_stats as migration 002 made it, with `provider` first when the key includes it. */
async function createPeerStats(db: Kysely<unknown>, name: string, key: string[]): Promise<void> {
  let table = db.schema.createTable(name);
  if (key.includes('provider'))
    table = table.addColumn('provider', 'text', (c) => c.notNull().defaultTo('slskd'));
  await table
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('successes', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures_by_code', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('speed_samples', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('average_speed', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failure_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    // SQLite only (PostgreSQL swaps the constraint in place): the name is the final table's, as
    // SQLite keeps it through the rename and does not require constraint names to be unique.
    .addPrimaryKeyConstraint('peer_stats_pkey', key as never)
    .execute();
}

/** Back to username keys: only slskd's rows survive (another provider's would collide). */
export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await sql`DELETE FROM blocklist WHERE provider <> 'slskd'`.execute(db);
  await sql`DELETE FROM peer_failures WHERE provider <> 'slskd'`.execute(db);
  await sql`DELETE FROM peer_stats WHERE provider <> 'slskd'`.execute(db);
  await sql`DROP INDEX blocklist_source`.execute(db);
  await sql`CREATE UNIQUE INDEX blocklist_source ON blocklist (username, file_key)`.execute(db);
  await db.schema.alterTable('blocklist').dropColumn('provider').execute();
  await sql`DROP INDEX peer_failures_user_at`.execute(db);
  await sql`CREATE INDEX peer_failures_user_at ON peer_failures (username, at)`.execute(db);
  await db.schema.alterTable('peer_failures').dropColumn('provider').execute();
  if (postgres) {
    await sql`ALTER TABLE peer_stats DROP CONSTRAINT peer_stats_pkey`.execute(db);
    await sql`ALTER TABLE peer_stats ADD CONSTRAINT peer_stats_pkey PRIMARY KEY (username)`.execute(
      db,
    );
    await db.schema.alterTable('peer_stats').dropColumn('provider').execute();
  } else {
    await createPeerStats(db, 'peer_stats_prev', ['username']);
    await sql`INSERT INTO peer_stats_prev SELECT username, successes, failures, failures_by_code,
        bytes, speed_samples, average_speed, last_failure_at, updated_at FROM peer_stats`.execute(
      db,
    );
    await sql`DROP TABLE peer_stats`.execute(db);
    await sql`ALTER TABLE peer_stats_prev RENAME TO peer_stats`.execute(db);
  }
}
