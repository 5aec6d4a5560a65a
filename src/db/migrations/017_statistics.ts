import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Statistics (issue 9 part 1): facts about finished downloads, kept exact by triggers, and daily
 * rollups folded from signed deltas (docs/architecture.md, "Statistics").
 *
 * - `attempts.transfer_speed`: bytes/s of a transfer, recorded when it ends (slskd's average over
 *   the transfer: bytes / seconds moving), rounded to an integer so sums stay exact.
 * - `stats_facts`: one row per download in a terminal status (completed, failed, cancelled), with
 *   what statistics group by copied from the download and its current attempt at the moment it
 *   got there. `finished_at` is `completed_at` for a completed download, otherwise the time of the
 *   write that failed or cancelled it (`updated_at` of that write); `day` is its UTC day.
 * - `stats_deltas`: +1 when a fact appears, −1 (a copy of the fact) when it goes (a retry, a
 *   cancelled download filed after all, a deleted row). Append-only: the triggers never update a
 *   shared row, so no status change waits for or deadlocks on a counter row.
 * - `stats_daily`: sums per (dimension, UTC day, key), folded from the deltas by the statistics
 *   repository (one statement on PostgreSQL; one transaction on SQLite). A read adds the deltas
 *   not folded yet, so every answer is exact whenever it is asked.
 *
 * Why triggers: a download reaches or leaves a terminal status through a dozen writes (workers'
 * fenced writes, cancel, retry, batch commands, filing after a cancel, deletes). A trigger sees
 * every one of them in the transaction that makes it, and nothing new can forget to.
 */
export const TERMINAL = `('completed', 'failed', 'cancelled')`;

/** The facts of the downloads `which` selects (`d.id = NEW.id` in a trigger) that are terminal. */
const enterFact = (which: string) => `
  INSERT INTO stats_facts (download_id, finished_at, day, status, artist, format, provider, peer,
    bytes, duration_ms, error_code, speed)
  SELECT d.id, COALESCE(d.completed_at, d.updated_at),
    (COALESCE(d.completed_at, d.updated_at) / 86400000) * 86400000,
    d.status, d.artist, lower(substr(a.extension, 1, 20)), a.provider, a.username,
    CASE WHEN d.status = 'completed' THEN COALESCE(a.size, d.size, 0) ELSE 0 END,
    CASE WHEN d.status = 'completed' AND COALESCE(d.completed_at, d.updated_at) > d.created_at
      THEN COALESCE(d.completed_at, d.updated_at) - d.created_at ELSE 0 END,
    CASE WHEN d.status = 'failed' THEN COALESCE(d.error_code, 'unknown') END,
    CASE WHEN d.status = 'completed' THEN a.transfer_speed END
  FROM downloads d LEFT JOIN attempts a ON a.id = d.current_attempt_id
  WHERE ${which} AND d.status IN ${TERMINAL};`;

/** A signed copy of a download's fact (none if it has no fact). */
const delta = (id: string, sign: 1 | -1) => `
  INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes, duration_ms,
    error_code, speed)
  SELECT ${sign}, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
  FROM stats_facts WHERE download_id = ${id};`;

const leave = (id: string) => `${delta(id, -1)}
  DELETE FROM stats_facts WHERE download_id = ${id};`;
const enter = (id: string) => `${enterFact(`d.id = ${id}`)}${delta(id, 1)}`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema.alterTable('attempts').addColumn('transfer_speed', 'bigint').execute();

  await db.schema
    .createTable('stats_facts')
    .addColumn('download_id', 'text', (c) => c.primaryKey())
    .addColumn('finished_at', 'bigint', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('format', 'text')
    .addColumn('provider', 'text')
    .addColumn('peer', 'text')
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('speed', 'bigint')
    .execute();
  // Period edges (the parts of a period that are not whole UTC days) and the speed samples.
  await sql`CREATE INDEX stats_facts_finished ON stats_facts (finished_at)`.execute(db);
  await sql`CREATE INDEX stats_facts_speed ON stats_facts (finished_at)
    WHERE speed IS NOT NULL`.execute(db);

  await db.schema
    .createTable('stats_deltas')
    .addColumn('id', postgres ? 'bigint' : 'integer', (c) =>
      postgres ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('sign', 'integer', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('artist', 'text', (c) => c.notNull())
    .addColumn('format', 'text')
    .addColumn('provider', 'text')
    .addColumn('peer', 'text')
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('speed', 'bigint')
    .execute();

  // Reads take the deltas of a day range. On PostgreSQL the table keeps the pages of folded
  // (deleted) deltas until vacuum: a scan of a just-folded "empty" table read 1,313 pages, five
  // times per statistics request; the index reads only what is there.
  await sql`CREATE INDEX stats_deltas_day ON stats_deltas (day)`.execute(db);

  await db.schema
    .createTable('stats_daily')
    .addColumn('dim', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('completed', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('cancelled', 'integer', (c) => c.notNull())
    .addColumn('bytes', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'bigint', (c) => c.notNull())
    .addColumn('speed_sum', 'bigint', (c) => c.notNull())
    .addColumn('speed_n', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('stats_daily_pk', ['dim', 'day', 'key'])
    .execute();

  if (postgres) {
    await sql
      .raw(
        `CREATE FUNCTION stats_download_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP IN ('UPDATE', 'DELETE') THEN ${leave('OLD.id')} END IF;
          IF TG_OP IN ('UPDATE', 'INSERT') THEN ${enter('NEW.id')} END IF;
          RETURN NULL;
        END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER stats_download_status AFTER UPDATE OF status ON downloads FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status
          AND (OLD.status IN ${TERMINAL} OR NEW.status IN ${TERMINAL}))
        EXECUTE FUNCTION stats_download_change()`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER stats_download_insert AFTER INSERT ON downloads FOR EACH ROW
        WHEN (NEW.status IN ${TERMINAL}) EXECUTE FUNCTION stats_download_change()`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER stats_download_delete AFTER DELETE ON downloads FOR EACH ROW
        WHEN (OLD.status IN ${TERMINAL}) EXECUTE FUNCTION stats_download_change()`,
      )
      .execute(db);
  } else {
    await sql
      .raw(
        `CREATE TRIGGER stats_download_status AFTER UPDATE OF status ON downloads
        WHEN OLD.status IS NOT NEW.status
          AND (OLD.status IN ${TERMINAL} OR NEW.status IN ${TERMINAL})
        BEGIN ${leave('OLD.id')} ${enter('NEW.id')} END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER stats_download_insert AFTER INSERT ON downloads
        WHEN NEW.status IN ${TERMINAL} BEGIN ${enter('NEW.id')} END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER stats_download_delete AFTER DELETE ON downloads
        WHEN OLD.status IN ${TERMINAL} BEGIN ${leave('OLD.id')} END`,
      )
      .execute(db);
  }

  // The history so far: a fact and a +1 delta for every finished download; the first fold rolls
  // them up.
  await sql.raw(enterFact('true')).execute(db);
  await sql
    .raw(
      `INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes,
        duration_ms, error_code, speed)
      SELECT 1, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
      FROM stats_facts`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  for (const name of ['stats_download_delete', 'stats_download_insert', 'stats_download_status'])
    await sql.raw(`DROP TRIGGER ${name}${postgres ? ' ON downloads' : ''}`).execute(db);
  if (postgres) await sql`DROP FUNCTION stats_download_change()`.execute(db);
  await db.schema.dropTable('stats_daily').execute();
  await db.schema.dropTable('stats_deltas').execute();
  await db.schema.dropTable('stats_facts').execute();
  await db.schema.alterTable('attempts').dropColumn('transfer_speed').execute();
}
