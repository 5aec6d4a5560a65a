import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { newDownloadRow } from '../src/downloads/accept.js';
import { createQueueControlRepository } from '../src/downloads/queue-control.repository.js';
import { filingBacklogCount } from '../src/queue/filing-backlog.js';
import { createQueueRepository } from '../src/queue/queue.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const NOW = 1_000_000_000;
const LEASE = 30_000;
let seq = 0;

type Row = ReturnType<typeof newDownloadRow>;
const row = (patch: Partial<Row>): Row => ({
  ...newDownloadRow({ artist: 'Backlog', title: `Track ${++seq}` }, NOW - 10_000 + seq, 3),
  ...patch,
});

/**
 * The filing backlog (`maxFilingBacklog`, docs/architecture.md "Slots"): which rows count, the
 * transfer claim's gate on it, and that the count reads the filing index, not the table.
 */
describe.each(testDialects())('filing backlog on %s', (dialect) => {
  let db: TestDb | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  it('counts processing rows without a live lease and not held, through the filing index', async () => {
    db = await freshDb(dialect);
    // 3,000 finished and waiting rows the count must not walk, and every kind of processing row.
    for (let i = 0; i < 3000; i += 500) {
      const rows = Array.from({ length: 500 }, (_, k) =>
        row({ status: k % 2 === 0 ? 'completed' : 'waiting' }),
      );
      await db.db.insertInto('downloads').values(rows).execute();
    }
    await db.db
      .insertInto('downloads')
      .values([
        row({ status: 'processing' }),
        row({ status: 'processing', run_after: NOW + 60_000 }),
        // A lapsed lease: its filer is gone, the file waits again.
        row({ status: 'processing', lease_owner: 'gone', lease_expires_at: NOW - 1 }),
        // Being filed now: holds a filing slot, does not wait for one.
        row({ status: 'processing', lease_owner: 'w', lease_expires_at: NOW + LEASE }),
        // Paused: waits for a resume, not for a slot.
        row({ status: 'processing', hold: 'paused' }),
        row({ status: 'waiting' }),
        row({ status: 'downloading' }),
      ])
      .execute();
    await sql.raw(dialect === 'postgres' ? 'ANALYZE downloads' : 'ANALYZE').execute(db.db);
    expect(await createQueueControlRepository(db).filingBacklog(NOW)).toBe(3);

    const query = sql`SELECT ${filingBacklogCount(NOW, dialect)} AS n`.compile(db.db);
    const explain = dialect === 'postgres' ? 'EXPLAIN' : 'EXPLAIN QUERY PLAN';
    const plan = (
      await sql
        .raw<Record<string, unknown>>(
          `${explain} ${query.sql.replace(/\$(\d+)|\?/g, () => String(NOW))}`,
        )
        .execute(db.db)
    ).rows
      .map((r) => String(dialect === 'postgres' ? r['QUERY PLAN'] : r.detail))
      .join('\n');
    expect(plan).toContain('downloads_filing');
    expect(plan).not.toMatch(/Seq Scan on downloads|SCAN downloads(?! USING)/);
  });

  it('at the cap claims no download that would search or enqueue; below it, it does', async () => {
    db = await freshDb(dialect);
    const queue = createQueueRepository(db);
    const waiting = row({ status: 'waiting' });
    const following = row({ status: 'downloading', priority: -1 });
    const backlog = [row({ status: 'processing' }), row({ status: 'processing' })];
    await db.db
      .insertInto('downloads')
      .values([waiting, following, ...backlog])
      .execute();

    // Two files wait, the cap is 2: the transfer already under way is claimed, the new one not.
    const first = await queue.claimNext('w', NOW, LEASE, 10, 'transfer', 2);
    expect(first?.downloadId).toBe(following.id);
    expect(await queue.claimNext('w', NOW, LEASE, 10, 'transfer', 2)).toBeNull();
    // No cap (0), or a cap above the backlog: the waiting download is claimed.
    expect(await queue.claimNext('w', NOW, LEASE, 10, 'transfer', 3)).not.toBeNull();

    // One of the backlog taken by a filing slot: below the cap again.
    await db.db
      .updateTable('downloads')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('id', '=', waiting.id)
      .execute();
    const filing = await queue.claimNext('f', NOW, LEASE, 1, 'filing');
    expect(backlog.map((b) => b.id)).toContain(filing?.downloadId);
    expect((await queue.claimNext('w', NOW, LEASE, 10, 'transfer', 2))?.downloadId).toBe(
      waiting.id,
    );
  });
});
