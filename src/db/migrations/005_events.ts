import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The event log: every change a user can see, in order, kept for replay (SSE `Last-Event-ID`) and
 * for modules that follow it from another process. `id` is the SSE id.
 *
 * The id must never be handed out twice, even after trimming deleted the newest rows: SQLite's
 * AUTOINCREMENT guarantees that (a plain rowid may reuse the highest id after a delete), and a
 * PostgreSQL identity is a sequence. `payload` is the JSON text exactly as SSE sends it, so a
 * replay sends rows without parsing them. Read docs/architecture.md "Events and SSE" for why ids
 * become visible in id order on PostgreSQL (an advisory lock in event-log.repository.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('events')
    .addColumn('id', postgres ? 'bigint' : 'integer', (c) =>
      postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Trimming by age finds its cut-off here; everything else reads by id (the primary key).
  await sql`CREATE INDEX events_created_at ON events (created_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('events').execute();
}
