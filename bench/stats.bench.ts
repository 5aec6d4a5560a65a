import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { sql } from 'kysely';
import { newDownloadRow } from '../src/downloads/accept.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import { freshPgDatabase } from '../test/helpers/db.js';
import { API_KEY, benchStack, percentile } from './setup.js';

const SEEDED = 100_000;
const YEAR = 365 * 86_400_000;
const ALBUM = 12;
const CODES = ['transfer_failed', 'no_results', 'source_offline', 'invalid_file', 'queue_timeout'];
const FORMATS = ['flac', 'mp3', 'flac', 'ogg', 'm4a'];
/** As in the queue benchmark: mostly history, some still waiting. */
const statusOf = (n: number): DownloadStatus => {
  const r = (n * 7919) % 100;
  return r < 70 ? 'completed' : r < 80 ? 'failed' : r < 85 ? 'cancelled' : 'waiting';
};

export interface StatsFigure {
  storage: string;
  figure: string;
  value: string;
  target: string;
  pass: string;
  load: string;
}

/**
 * `npm run bench stats`: a year of history, 100,000 downloads (tracks of 12-track albums, each
 * album from one peer in one hour), through the real API: GET /api/stats per period (p50/p99),
 * and the export's rows/s. One storage per call.
 */
export async function statsBench(databaseUrl?: string): Promise<StatsFigure[]> {
  const storage = databaseUrl ? 'postgres' : 'sqlite';
  const figures: StatsFigure[] = [];
  const add = (figure: string, value: string, target = '', pass?: boolean): void => {
    figures.push({
      storage,
      figure,
      value,
      target,
      pass: pass === undefined ? '' : pass ? 'pass' : 'FAIL',
      load: loadavg()
        .map((l) => l.toFixed(1))
        .join(' '),
    });
  };
  const pgDb = databaseUrl ? await freshPgDatabase(databaseUrl) : undefined;
  const stack = await benchStack([], pgDb ? { SOULSPOT_DATABASE_URL: pgDb.url } : {}, {
    runWorkers: false,
  });
  const { soulspot } = stack;
  const db = soulspot.db.db;
  const api = (p: string) => fetch(`${soulspot.url}${p}`, { headers: { 'x-api-key': API_KEY } });

  // Seed: rows go in unfinished with their attempt, then take their final status in one UPDATE
  // per status and batch, so the statistics triggers see the source (as after a real transfer).
  const now = Date.now();
  const t0 = now - YEAR;
  const started = performance.now();
  for (let i = 0; i < SEEDED; i += 500) {
    const rows = [];
    const attempts = [];
    const finals = new Map<DownloadStatus, string[]>();
    for (let n = i; n < Math.min(SEEDED, i + 500); n++) {
      const album = Math.floor(n / ALBUM);
      const t = t0 + Math.floor((n * YEAR) / SEEDED);
      const status = statusOf(n);
      const row = newDownloadRow(
        { artist: `Artist ${album % 1500}`, title: `Track ${n}`, album: `Album ${album}` },
        t - 120_000,
        3,
      );
      const attemptId = randomUUID();
      const sourced = status !== 'cancelled' && !(status === 'failed' && n % 3 === 0);
      rows.push({
        ...row,
        status: status === 'waiting' ? 'waiting' : 'processing',
        run_after: status === 'waiting' ? now + 86_400_000 : t,
        updated_at: t,
        completed_at: status === 'completed' ? t : null,
        size: status === 'completed' ? 5_000_000 + (n % 40) * 1_000_000 : null,
        error_code: status === 'failed' ? CODES[n % CODES.length]! : null,
        current_attempt_id: sourced ? attemptId : null,
      });
      if (sourced)
        attempts.push({
          id: attemptId,
          download_id: row.id,
          round: 0,
          provider: 'slskd',
          username: `peer${album % 400}`,
          filename: `@@music\\Album ${album}\\${n}.${FORMATS[album % FORMATS.length]}`,
          size: 5_000_000 + (n % 40) * 1_000_000,
          extension: FORMATS[album % FORMATS.length]!,
          bit_rate: null,
          sample_rate: null,
          bit_depth: null,
          length_seconds: null,
          batch_id: randomUUID(),
          transfer_id: null,
          state: status === 'completed' ? 'succeeded' : 'failed',
          error_code: null,
          error_message: null,
          local_path: null,
          target_path: null,
          requeues: 0,
          created_at: t - 60_000,
          updated_at: t,
          finished_at: t,
          transfer_speed: status === 'completed' ? 100_000 + ((n * 31) % 50) * 40_000 : null,
        });
      if (status !== 'waiting') finals.set(status, [...(finals.get(status) ?? []), row.id]);
    }
    await db.insertInto('downloads').values(rows).execute();
    if (attempts.length > 0) await db.insertInto('attempts').values(attempts).execute();
    for (const [status, ids] of finals)
      await db.updateTable('downloads').set({ status }).where('id', 'in', ids).execute();
  }
  const seedMs = performance.now() - started;
  const foldStart = performance.now();
  const folded = await soulspot.stats.fold();
  // A year-old install has had autovacuum over these tables (it vacuums and analyzes after bulk
  // inserts): planner statistics and a set visibility map, so the daily rollups and facts are read
  // by index-only scans. Straight after a seed they are not, which measured 83 / 178 ms p50/p99
  // for period=day instead of 16 / 54 ms (load 4), a figure no running install shows.
  if (databaseUrl) await sql`VACUUM ANALYZE`.execute(db);
  add(
    'seed 100,000 (insert, attempts, final status: triggers on)',
    `${(seedMs / 1000).toFixed(1)} s`,
  );
  add(
    `fold ${folded.toLocaleString('en')} deltas`,
    `${(performance.now() - foldStart).toFixed(0)} ms`,
  );

  for (const period of ['day', 'week', 'month', 'all']) {
    const times: number[] = [];
    let total = 0;
    let cpu = 0;
    for (let i = 0; i < 53; i++) {
      // CPU time of this process (HTTP, service and, on SQLite, the queries): what a loaded
      // machine's wall clock cannot show. PostgreSQL's own work is in its server process.
      const c0 = process.cpuUsage();
      const t = performance.now();
      const res = await api(`/api/stats?period=${period}`);
      const body = (await res.json()) as { totals: { downloads: number } };
      if (i >= 3) {
        times.push(performance.now() - t);
        const c = process.cpuUsage(c0);
        cpu += (c.user + c.system) / 1000;
      }
      total = body.totals.downloads;
    }
    times.sort((a, b) => a - b);
    const p99 = percentile(times, 99);
    add(
      `stats period=${period} p50 (${total.toLocaleString('en')} finished)`,
      `${percentile(times, 50).toFixed(1)} ms`,
    );
    add(`stats period=${period} p99`, `${p99.toFixed(1)} ms`, '< 100 ms', p99 < 100);
    add(
      `stats period=${period} CPU/request (this process)`,
      `${(cpu / times.length).toFixed(1)} ms`,
    );
  }

  for (const format of ['csv', 'json']) {
    const t = performance.now();
    const res = await api(`/api/downloads/export?format=${format}`);
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
    const s = (performance.now() - t) / 1000;
    add(
      `export ${format}, ${SEEDED.toLocaleString('en')} rows`,
      `${Math.round(SEEDED / s).toLocaleString('en')} rows/s (${(bytes / 1e6).toFixed(1)} MB in ${s.toFixed(1)} s)`,
    );
  }

  await stack.close();
  await pgDb?.drop();
  return figures;
}
