import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseOptions } from '../src/db/database.js';
import { testDialects } from './helpers/db.js';

/**
 * A database migrated by an earlier main opens after an upgrade whose new migration's number is
 * below one already run: 029_provider_configs (the sources branch) landed after 030 and 031 had
 * shipped, so a database from before the merge has 030 and 031 but not 029.
 */
describe.each(testDialects())('upgrading a database on %s', (dialect) => {
  it('runs a migration numbered below the last one run (029 after 030, 031)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-upgrade-'));
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const pgUrl = process.env.SOULSPOT_TEST_PG_URL as string;
    const options: DatabaseOptions =
      dialect === 'sqlite'
        ? { url: null, sqlitePath: path.join(dir, 'test.db') }
        : { url: pgUrl, pgSchema: schema, poolSize: 2 };
    try {
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
    } finally {
      rmSync(dir, { recursive: true, force: true });
      if (dialect === 'postgres') {
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    }
  });
});
