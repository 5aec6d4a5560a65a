import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { openDatabase } from './database.js';

const HEADER = `-- SoulSpot schema (SQLite form), generated from src/db/migrations by \`npm run schema\`. PostgreSQL has the same tables.
-- (There, events.id is bigint GENERATED ALWAYS AS IDENTITY instead of integer AUTOINCREMENT, and downloads.position uses COLLATE "C".)
`;

/**
 * The schema every migration together produces, as docs/schema.sql holds it: tables, then indexes,
 * each sorted by name, so a migration shows up in review as a diff of this file.
 */
export async function dumpSchema(): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-schema-'));
  const handle = await openDatabase({ url: null, sqlitePath: path.join(dir, 'schema.db') });
  try {
    const rows = await sql<{ type: string; name: string; sql: string }>`
      SELECT type, name, sql FROM sqlite_master
      WHERE sql IS NOT NULL AND name NOT LIKE 'kysely_%' AND name NOT LIKE 'sqlite_%'
      ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name`.execute(handle.db);
    return `${HEADER}\n${rows.rows.map((r) => `${r.sql};\n`).join('\n')}`;
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
