import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDownloadRow } from '../src/downloads/accept.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const ROWS = 3000;

/**
 * A list page after a cursor starts its index range at the cursor, on both engines. With
 * `created_at < x OR (created_at = x AND id < y)` PostgreSQL read and filtered every row before
 * the cursor (10.7 ms at row 9,000 of the queue benchmark's 100,000 downloads; 0.27 ms as a
 * row-value keyset), and SQLite scanned the whole index for an unfiltered list.
 */
describe.each(testDialects())('list plan on %s', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDb(dialect);
    const t0 = Date.now() - ROWS * 1000;
    for (let i = 0; i < ROWS; i += 500) {
      const rows = Array.from({ length: 500 }, (_, k) => ({
        ...newDownloadRow({ artist: 'Plan', title: `Track ${i + k}` }, t0 + (i + k) * 1000, 3),
        status: (i + k) % 10 === 0 ? 'failed' : 'completed',
      }));
      await db.db.insertInto('downloads').values(rows).execute();
    }
    await sql.raw(dialect === 'postgres' ? 'ANALYZE downloads' : 'ANALYZE').execute(db.db);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it.each([
    ['every status', undefined],
    ['status=failed', ['failed'] as ['failed']],
  ])('reads only the page after a deep cursor (%s)', async (_, statuses) => {
    // The repository's own SQL, captured as it runs.
    const captured: CompiledQuery[] = [];
    const spy = db.db.withPlugin({
      transformQuery: (args) => {
        captured.push(db.db.getExecutor().compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    });
    const repo = createDownloadRepository({ ...db, db: spy });
    const upTo = await repo.list({ statuses, limit: 200, order: 'newest' });
    const last = upTo.at(-1)!;
    captured.length = 0;
    const page = await repo.list({
      statuses,
      limit: 51,
      order: 'newest',
      after: { createdAt: last.created_at, id: last.id },
    });
    expect(page).toHaveLength(51);
    expect(page[0]!.created_at).toBeLessThan(last.created_at);
    const [query] = captured;
    const plan = (
      await db.db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(
          `${dialect === 'postgres' ? 'EXPLAIN (ANALYZE)' : 'EXPLAIN QUERY PLAN'} ${query!.sql}`,
          [...query!.parameters],
        ),
      )
    ).rows
      .map((r) => String(dialect === 'postgres' ? r['QUERY PLAN'] : r.detail))
      .join('\n');
    if (dialect === 'postgres') {
      // The cursor bounds the index range; nothing before it is read and thrown away.
      expect(plan).toMatch(/Index Cond: .*created_at/);
      expect(plan).not.toMatch(/Rows Removed by Filter/);
    } else {
      expect(plan).toMatch(/SEARCH downloads USING INDEX \w+ \(.*created_at/);
      expect(plan).not.toMatch(/SCAN/);
    }
  });

  it('reads only the page after a deep cursor in queue order (order=queue)', async () => {
    const captured: CompiledQuery[] = [];
    const spy = db.db.withPlugin({
      transformQuery: (args) => {
        captured.push(db.db.getExecutor().compileQuery(args.node, args.queryId));
        return args.node;
      },
      transformResult: (args) => Promise.resolve(args.result),
    });
    const repo = createDownloadRepository({ ...db, db: spy });
    const upTo = await repo.list({ limit: 200, order: 'queue' });
    const last = upTo.at(-1)!;
    captured.length = 0;
    const page = await repo.list({
      limit: 51,
      order: 'queue',
      afterQueued: {
        priority: last.priority,
        position: last.position,
        createdAt: last.created_at,
        id: last.id,
      },
    });
    expect(page).toHaveLength(51);
    expect(page[0]!.position > last.position).toBe(true);
    // Every priority is 0 here: the first of the two range reads fills the page.
    expect(captured).toHaveLength(1);
    const [query] = captured;
    const plan = (
      await db.db.executeQuery<Record<string, unknown>>(
        CompiledQuery.raw(
          `${dialect === 'postgres' ? 'EXPLAIN (ANALYZE)' : 'EXPLAIN QUERY PLAN'} ${query!.sql}`,
          [...query!.parameters],
        ),
      )
    ).rows
      .map((r) => String(dialect === 'postgres' ? r['QUERY PLAN'] : r.detail))
      .join('\n');
    if (dialect === 'postgres') {
      expect(plan).toMatch(/Index Cond: .*position/);
      expect(plan).not.toMatch(/Rows Removed by Filter/);
      expect(plan).not.toMatch(/Sort/);
    } else {
      expect(plan).toMatch(/SEARCH downloads USING INDEX downloads_queue_order \(priority=\? AND/);
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });
});
