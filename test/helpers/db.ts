import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openDatabase, type DatabaseHandle, type Dialect } from '../../src/db/database.js';

/** The dialects this run can test: SQLite always, PostgreSQL when global setup reached it. */
export function testDialects(): Dialect[] {
  return process.env.SOULSPOT_TEST_PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface TestDb extends DatabaseHandle {
  /** For SQLite the file, for PostgreSQL the connection URL with its schema. */
  location: string;
  cleanup(): Promise<void>;
}

/** A fresh, migrated database: a new SQLite file, or a new schema in the PostgreSQL test database. */
export async function freshDb(dialect: Dialect): Promise<TestDb> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-db-'));
    const file = path.join(dir, 'test.db');
    const handle = await openDatabase({ url: null, sqlitePath: file });
    return {
      ...handle,
      location: file,
      cleanup: async () => {
        await handle.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.SOULSPOT_TEST_PG_URL as string;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const handle = await openDatabase({ url, pgSchema: schema, poolSize: 12 });
  return {
    ...handle,
    location: `${url}?options=-c%20search_path%3D${schema}`,
    cleanup: async () => {
      await handle.close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

/** A whole new PostgreSQL database (for a full SoulSpot instance); drop() removes it. */
export async function freshPgDatabase(
  baseUrl: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `soulspot_${Date.now()}_${randomBytes(3).toString('hex')}`;
  const admin = async (query: string): Promise<void> => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(query);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
