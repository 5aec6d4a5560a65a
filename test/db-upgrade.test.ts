import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseOptions } from '../src/db/database.js';
import { down as down035 } from '../src/db/migrations/035_retry_pending.js';
import { createQueueRepository } from '../src/queue/queue.repository.js';
import { downloadRow } from './helpers/factories.js';
import { testDialects } from './helpers/db.js';

/**
 * A database migrated by an earlier main opens after an upgrade whose new migration's number is
 * below one already run: 029_provider_configs (the sources branch) landed after 030 and 031 had
 * shipped, so a database from before the merge has 030 and 031 but not 029.
 */
describe.each(testDialects())('upgrading a database on %s', (dialect) => {
  it('runs a migration numbered below the last one run (029 after 030, 031)', async () => {
    await withScratchDatabase(dialect, async (options) => {
      // The state before the merge: everything but 029 run.
      const first = await openDatabase(options);
      await sql`DROP TABLE provider_configs`.execute(first.db);
      await sql`DELETE FROM kysely_migration WHERE name = '029_provider_configs'`.execute(first.db);
      await first.close();

      const upgraded = await openDatabase(options);
      const rows = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM provider_configs`.execute(
        upgraded.db,
      );
      expect(Number(rows.rows[0]?.n)).toBe(0);
      await upgraded.close();
    });
  });

  it("gives an entry matched before 032 and not accepted yet its rule's provider", async () => {
    await withScratchDatabase(dialect, async (options) => {
      // A 031-era database: 032's columns and its record gone, a rule naming a provider and two
      // entries it matched, one still pending.
      const first = await openDatabase(options);
      await sql`ALTER TABLE feed_entries DROP COLUMN provider`.execute(first.db);
      await sql`ALTER TABLE albums DROP COLUMN preferred_provider`.execute(first.db);
      // 034's index is on that column, and a 031-era database has neither.
      await sql`DROP INDEX downloads_preferred_provider`.execute(first.db);
      await sql`ALTER TABLE downloads DROP COLUMN preferred_provider`.execute(first.db);
      await sql`DELETE FROM kysely_migration WHERE name IN
        ('032_preferred_provider', '034_preferred_provider_index')`.execute(first.db);
      await sql`INSERT INTO feeds (id, name, url, interval_minutes, enabled, allow_private,
        next_poll_at, lease_token, failures, created_at, updated_at)
        VALUES ('f1', 'feed', 'https://example.org/feed', 60, 1, 0, 0, 0, 0, 1, 1)`.execute(
        first.db,
      );
      await sql`INSERT INTO watchlist_rules (id, artist, artist_key, keywords, exclude_keywords,
        allow_variants, kind, provider, enabled, created_at, updated_at)
        VALUES ('r1', 'Artist', 'artist', '[]', '[]', 0, 'track', 'torznab:x', 1, 1, 1)`.execute(
        first.db,
      );
      for (const [id, outcome] of [
        ['e1', 'pending'],
        ['e2', 'accepted'],
      ]) {
        await sql`INSERT INTO feed_entries (id, feed_id, entry_hash, entry_id, title, seen_at,
          outcome, reason, rule_id, attempts, updated_at)
          VALUES (${id}, 'f1', ${id}, ${id}, 'Artist - Song', 1, ${outcome}, '', 'r1', 0, 1)`.execute(
          first.db,
        );
      }
      await first.close();

      const upgraded = await openDatabase(options);
      const rows = await sql<{ id: string; provider: string | null }>`
        SELECT id, provider FROM feed_entries ORDER BY id`.execute(upgraded.db);
      expect(rows.rows).toEqual([
        { id: 'e1', provider: 'torznab:x' },
        { id: 'e2', provider: null },
      ]);
      await upgraded.close();
    });
  });

  it('035 keeps next_retry_at only on downloads still waiting out their backoff', async () => {
    await withScratchDatabase(dialect, async (options) => {
      // A 034-era database: 035 undone, and rows as the code before it left them.
      const first = await openDatabase(options);
      await down035(first.db as Kysely<unknown>);
      await sql`DELETE FROM kysely_migration WHERE name = '035_retry_pending'`.execute(first.db);
      const later = 1_900_000_000_000;
      const rows = [
        // Waiting out its backoff: both times the same, as retryLater leaves them.
        downloadRow({ id: 'backoff', run_after: later, next_retry_at: later, retry_count: 1 }),
        // Resumed early before the upgrade: due now, its old retry time left behind.
        downloadRow({ id: 'resumed', run_after: 1, next_retry_at: later, retry_count: 1 }),
        // Claimed after an early resume and now downloading, the old time still there.
        downloadRow({ id: 'moving', status: 'downloading', run_after: 1, next_retry_at: later }),
        // Filing resumed after a backoff (resumeLater), and a retry paused in its backoff: kept.
        downloadRow({ id: 'refile', status: 'processing', run_after: later, next_retry_at: later }),
        downloadRow({ id: 'paused', hold: 'paused', run_after: later, next_retry_at: later }),
        // Filing due, its old retry time left behind: cleared.
        downloadRow({ id: 'stale', status: 'processing', run_after: 1, next_retry_at: later }),
      ];
      // One at a time: SQLite's multi-row insert puts NULL in a column one row leaves out (hold).
      for (const row of rows) await first.db.insertInto('downloads').values(row).execute();
      await first.close();

      const upgraded = await openDatabase(options);
      const after = await upgraded.db
        .selectFrom('downloads')
        .select(['id', 'next_retry_at'])
        .orderBy('id')
        .execute();
      expect(
        after.map((r) => [r.id, r.next_retry_at === null ? null : Number(r.next_retry_at)]),
      ).toEqual([
        ['backoff', later],
        ['moving', null],
        ['paused', later],
        ['refile', later],
        ['resumed', null],
        ['stale', null],
      ]);
      // Both early ones are claimable again, in the claim's index.
      const queue = createQueueRepository(upgraded);
      const claimed = [
        (await queue.claimNext('w', 10, 30_000, 5))?.downloadId,
        (await queue.claimNext('w', 10, 30_000, 5))?.downloadId,
      ];
      expect(claimed.sort()).toEqual(['moving', 'resumed']);
      expect(await queue.claimNext('w', 10, 30_000, 5)).toBeNull();
      await upgraded.close();
    });
  });
});

/** A database of its own for one test (a SQLite file, or a PostgreSQL schema), dropped after it. */
async function withScratchDatabase(
  dialect: string,
  body: (options: DatabaseOptions) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-upgrade-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const pgUrl = process.env.SOULSPOT_TEST_PG_URL as string;
  const options: DatabaseOptions =
    dialect === 'sqlite'
      ? { url: null, sqlitePath: path.join(dir, 'test.db') }
      : { url: pgUrl, pgSchema: schema, poolSize: 2 };
  try {
    await body(options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
  }
}
