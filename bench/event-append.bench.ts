import { spawn } from 'node:child_process';
import path from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { newDownloadRow } from '../src/downloads/accept.js';
import { freshPgDatabase } from '../test/helpers/db.js';
import { percentile } from './setup.js';

/** How long each measured run lasts, and the transaction loops each process runs at once. */
const RUN_MS = 5000;
const CONCURRENCY = 4;

export interface AppendFigure {
  run: string;
  'commits/s': number;
  'append (lock wait) p50': string;
  'append (lock wait) p99': string;
  'commit p50': string;
  'commit p99': string;
}

interface WorkerResult {
  done: number;
  waits: number[];
  txs: number[];
}

const ms = (v: number): string => `${v.toFixed(2)} ms`;

/**
 * `npm run bench events` (PostgreSQL only): the cost of the append lock (event-log.repository.ts)
 * with several processes. Each process runs CONCURRENCY loops of a transaction that changes a
 * download row and appends its event, as the pipeline's writes do; every event-writing
 * transaction holds the lock from its append to its commit, so they commit one at a time across
 * all processes. Printed: 1 and 3 processes with events, and 3 processes making the same change
 * without an event (no lock), which is what the lock costs.
 */
export async function eventAppendBench(baseUrl: string): Promise<AppendFigure[]> {
  const pgDb = await freshPgDatabase(baseUrl);
  const handle = await openDatabase({ url: pgDb.url, poolSize: 2 });
  const rows = Array.from({ length: 3 * CONCURRENCY }, (_, i) =>
    newDownloadRow({ artist: 'Append', title: `Row ${i}` }, Date.now(), 3),
  );
  await handle.db.insertInto('downloads').values(rows).execute();
  await handle.close();
  const ids = rows.map((r) => r.id);

  const run = async (processes: number, events: boolean): Promise<AppendFigure> => {
    const workers = Array.from({ length: processes }, (_, p) =>
      worker({
        BENCH_URL: pgDb.url,
        CONCURRENCY: String(CONCURRENCY),
        EVENTS: events ? '1' : '0',
        ROW_IDS: ids.slice(p * CONCURRENCY, (p + 1) * CONCURRENCY).join(','),
      }),
    );
    // Every process loaded and connected, then all start together.
    await Promise.all(workers.map((w) => w.ready));
    const endAt = Date.now() + RUN_MS;
    for (const w of workers) w.start(endAt);
    const results = await Promise.all(workers.map((w) => w.result));
    const done = results.reduce((sum, r) => sum + r.done, 0);
    const waits = results.flatMap((r) => r.waits).sort((a, b) => a - b);
    const txs = results.flatMap((r) => r.txs).sort((a, b) => a - b);
    return {
      run: `${processes} process${processes > 1 ? 'es' : ''} x ${CONCURRENCY} loops, ${events ? 'change + event' : 'change only (no lock)'}`,
      'commits/s': Math.round(done / (RUN_MS / 1000)),
      'append (lock wait) p50': events ? ms(percentile(waits, 50)) : '',
      'append (lock wait) p99': events ? ms(percentile(waits, 99)) : '',
      'commit p50': ms(percentile(txs, 50)),
      'commit p99': ms(percentile(txs, 99)),
    };
  };
  try {
    return [await run(1, true), await run(3, true), await run(3, false)];
  } finally {
    await pgDb.drop();
  }
}

interface Worker {
  ready: Promise<void>;
  start(endAt: number): void;
  result: Promise<WorkerResult>;
}

function worker(env: Record<string, string>): Worker {
  const script = path.join(import.meta.dirname, 'event-append.worker.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const result = new Promise<WorkerResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`event-append worker exited (${code})`));
      resolve(JSON.parse(out) as WorkerResult);
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    result.catch(reject);
  });
  return { ready, start: (endAt) => child.send({ endAt }), result };
}
