import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { newDownloadRow } from '../src/downloads/accept.js';
import { createQueueRepository } from '../src/queue/queue.repository.js';
import { freshPgDatabase } from '../test/helpers/db.js';

/** Jobs claimed and completed per measured loop. */
const JOBS = 3000;
const WORKERS = 8;

export interface ClaimFigures {
  /** Jobs waiting when the loop starts (JOBS of them are claimed and completed). */
  queued: number;
  sqlite: number;
  postgres?: number;
  pgBoss?: number;
}

/** Runs `WORKERS` loops of `step` until JOBS are done or it returns false; jobs per second. */
async function loops(step: () => Promise<boolean>): Promise<number> {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (done < JOBS && (await step())) done++;
    }),
  );
  return Math.round(done / ((performance.now() - started) / 1000));
}

/** SoulSpot's queue: claim (lease) then complete (fenced write that frees the lease), per job. */
async function soulspotLoop(handle: DatabaseHandle, queued: number): Promise<number> {
  const t = Date.now();
  // 500 rows a statement: SQLite's limit of bound variables.
  for (let i = 0; i < queued; i += 500) {
    const rows = Array.from({ length: Math.min(500, queued - i) }, (_, k) =>
      newDownloadRow({ artist: 'Claim', title: `Job ${i + k}` }, t, 0),
    );
    await handle.db.insertInto('downloads').values(rows).execute();
  }
  // Fresh statistics, as autovacuum would have them on a queue this size.
  if (handle.dialect === 'postgres') await sql`ANALYZE downloads`.execute(handle.db);
  const queue = createQueueRepository(handle);
  return loops(async () => {
    const lease = await queue.claimNext('bench', Date.now(), 30_000, WORKERS);
    if (!lease) return false;
    await queue.release(lease, { status: 'completed', completed_at: Date.now() });
    return true;
  });
}

/** pg-boss on the same PostgreSQL: fetch one job, complete it. */
async function pgBossLoop(url: string, queued: number): Promise<number> {
  const boss = new PgBoss({ connectionString: url, max: 10, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('bench');
  for (let i = 0; i < queued; i += 1000) {
    await boss.insert(
      Array.from({ length: Math.min(1000, queued - i) }, (_, k) => ({
        name: 'bench',
        data: { n: i + k },
      })),
    );
  }
  // The same fresh statistics as SoulSpot's loop gets (pg-boss keeps its jobs in its own schema).
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('ANALYZE');
  await client.end();
  const rate = await loops(async () => {
    const [job] = await boss.fetch('bench');
    if (!job) return false;
    await boss.complete('bench', job.id);
    return true;
  });
  await boss.stop({ graceful: false, wait: true });
  return rate;
}

/**
 * Claim+complete throughput: SoulSpot's queue on SQLite and PostgreSQL, and pg-boss beside it on
 * the same PostgreSQL, with `queued` jobs waiting (at least JOBS; 100,000 is the setting).
 */
export async function claimBench(pgUrl: string | undefined, queued = JOBS): Promise<ClaimFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-claim-'));
  const sqlite = await openDatabase({ url: null, sqlitePath: path.join(dir, 'q.db') });
  const result: ClaimFigures = { queued, sqlite: await soulspotLoop(sqlite, queued) };
  await sqlite.close();
  rmSync(dir, { recursive: true, force: true });
  if (!pgUrl) return result;
  const ours = await freshPgDatabase(pgUrl);
  const pg = await openDatabase({ url: ours.url, poolSize: 10 });
  result.postgres = await soulspotLoop(pg, queued);
  await pg.close();
  await ours.drop();
  const theirs = await freshPgDatabase(pgUrl);
  result.pgBoss = await pgBossLoop(theirs.url, queued);
  await theirs.drop();
  return result;
}
