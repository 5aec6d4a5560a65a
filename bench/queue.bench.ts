import { sql } from 'kysely';
import { newDownloadRow } from '../src/downloads/accept.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freshPgDatabase } from '../test/helpers/db.js';
import { measureRefill, refillCatalogue, REFILL_SLOTS } from './refill.bench.js';
import { API_KEY, benchStack, percentile } from './setup.js';

const SEEDED = 100_000;
/** A queue that has run for a while: mostly history, some of it still waiting for a retry. */
const MIX: Array<[DownloadStatus, number]> = [
  ['completed', 0.7],
  ['failed', 0.1],
  ['cancelled', 0.05],
  ['waiting', 0.15],
];

export interface Figure {
  storage: string;
  figure: string;
  value: string;
  target: string;
  pass: string;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
};

/**
 * `npm run bench queue`: 100,000 downloads in the database, measured through the real HTTP API of
 * a real SoulSpot with the emulator as slskd. One storage per call.
 */
export async function queueBench(databaseUrl?: string): Promise<Figure[]> {
  const storage = databaseUrl ? 'postgres' : 'sqlite';
  const figures: Figure[] = [];
  const add = (figure: string, value: string, target = '', pass?: boolean): void => {
    figures.push({
      storage,
      figure,
      value,
      target,
      pass: pass === undefined ? '' : pass ? 'pass' : 'FAIL',
    });
  };
  const pgDb = databaseUrl ? await freshPgDatabase(databaseUrl) : undefined;
  const { users, tracks: refill } = refillCatalogue();
  const env = {
    ...(pgDb ? { SOULSPOT_DATABASE_URL: pgDb.url } : {}),
    SOULSPOT_MAX_CONCURRENT: String(REFILL_SLOTS),
    SOULSPOT_SEARCH_TIMEOUT_SECONDS: '1',
    SOULSPOT_POLL_INTERVAL_MS: '100',
  };
  const stack = await benchStack(users, env, { runWorkers: false });
  let soulspot: SoulSpot = stack.soulspot;
  const api = (method: string, p: string, body?: unknown) =>
    fetch(`${soulspot.url}${p}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const restart = async (options: { groupCommit?: boolean; runWorkers?: boolean }) => {
    await soulspot.stop();
    const [next, took] = await timed(async () => {
      const s = await startSoulSpot(stack.config, { runWorkers: false, ...options });
      const res = await fetch(`${s.url}/api/health`);
      await res.arrayBuffer();
      return s;
    });
    soulspot = next;
    return took;
  };

  // Seed: direct SQL in batches, as a long-running install would have it.
  const [, seedMs] = await timed(async () => {
    const t0 = Date.now() - SEEDED * 1000;
    let n = 0;
    for (const [status, share] of MIX) {
      const count = Math.round(SEEDED * share);
      for (let i = 0; i < count; i += 500) {
        const rows = Array.from({ length: Math.min(500, count - i) }, (_, k) => {
          const t = t0 + (n + i + k) * 1000;
          const row = newDownloadRow(
            { artist: `Seed ${(n + i + k) % 997}`, title: `Seed track ${n + i + k}` },
            t,
            3,
          );
          // Waiting ones wait for a retry tomorrow, as `retryLater` leaves them (both times set),
          // so the runner leaves them be.
          if (status !== 'waiting') return { ...row, status, run_after: t };
          const retryAt = Date.now() + 86_400_000;
          return { ...row, status, retry_count: 1, run_after: retryAt, next_retry_at: retryAt };
        });
        await soulspot.db.db.insertInto('downloads').values(rows).execute();
      }
      n += count;
    }
  });
  add('seed 100,000 rows (direct SQL)', `${(seedMs / 1000).toFixed(1)} s`);
  if (databaseUrl) {
    // A long-running install has planner statistics: autovacuum analyzes a table within a minute
    // of 10% of it changing. Straight after a 100,000-row seed it has none, and the filtered
    // page after a cursor is then planned as a bitmap scan of every failed row before the cursor
    // plus a sort (345 buffers, 25–55 ms, instead of 6 buffers and 0.05 ms along
    // downloads_status_newest), so the figure depended on whether autovacuum had run yet.
    // SQLite keeps no statistics unless told to (SoulSpot does not), so it is measured as is.
    await sql`ANALYZE downloads`.execute(soulspot.db.db);
  }

  // List: the first page and pages after it, then a status filter.
  const listTimes = async (query: string): Promise<number[]> => {
    const times: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 300; i++) {
      const url = `/api/downloads?limit=50${query}${cursor && i % 10 !== 0 ? `&cursor=${cursor}` : ''}`;
      const [res, took] = await timed(() => api('GET', url));
      const page = (await res.json()) as { nextCursor: string | null };
      cursor = page.nextCursor;
      times.push(took);
    }
    return times.sort((a, b) => a - b);
  };
  for (const [name, query] of [
    ['list page (50)', ''],
    ['filtered list (status=failed)', '&status=failed'],
  ] as const) {
    const times = await listTimes(query);
    add(`${name} p50`, ms(percentile(times, 50)));
    add(`${name} p99`, ms(percentile(times, 99)), '< 20 ms', percentile(times, 99) < 20);
  }

  // Accept rate, 16 clients: one commit per request, then group commit.
  const acceptRate = async (label: string, offset: number): Promise<number> => {
    const total = 2000;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          const res = await api('POST', '/api/downloads', {
            artist: `Accept ${label}`,
            title: `Track ${offset + i}`,
          });
          if (res.status !== 201) throw new Error(`accept ${i}: ${res.status}`);
          await res.arrayBuffer();
        }
      }),
    );
    return Math.round(total / ((performance.now() - started) / 1000));
  };
  const restartSingle = await restart({ groupCommit: false });
  const single = await acceptRate('single', 0);
  await restart({ groupCommit: true });
  const grouped = await acceptRate('group', 0);
  const stats = soulspot.downloads.acceptStats;
  add('accepts/s, one commit per request (16 clients)', String(single));
  add(
    'accepts/s, group commit (16 clients)',
    `${grouped} (${(grouped / single).toFixed(1)}x; ${(stats.items / Math.max(1, stats.batches)).toFixed(1)} per commit)`,
    '>= 3x',
    grouped >= 3 * single,
  );

  // Bulk add of 10,000.
  const marker = `Bulk ${Date.now()}`;
  const items = Array.from({ length: 10_000 }, (_, i) => ({
    artist: marker,
    title: `Bulk track ${i}`,
  }));
  const [bulkRes, bulkMs] = await timed(async () => {
    const res = await api('POST', '/api/downloads/bulk', { items });
    return { status: res.status, body: (await res.json()) as { created?: number } };
  });
  add(
    'bulk add of 10,000',
    `${ms(bulkMs)} (${bulkRes.status}, ${bulkRes.body.created ?? 0} created)`,
  );

  // Batch cancel of those 10,000, and reorder of 100 to the head (the queue-control API).
  const [cancelRes, cancelMs] = await timed(() =>
    api('POST', '/api/downloads/batch', {
      action: 'cancel',
      filter: { text: marker, status: ['waiting'] },
    }),
  );
  await cancelRes.arrayBuffer();
  add(
    'batch cancel of 10,000',
    cancelRes.status === 404 ? 'not available' : `${ms(cancelMs)} (${cancelRes.status})`,
  );
  const waitingIds = (
    await soulspot.db.db
      .selectFrom('downloads')
      .select('id')
      .where('status', '=', 'waiting')
      .where('artist', 'like', 'Seed %')
      .limit(100)
      .execute()
  ).map((r) => r.id);
  const [reorderRes, reorderMs] = await timed(() =>
    api('POST', '/api/downloads/reorder', { ids: waitingIds }),
  );
  await reorderRes.arrayBuffer();
  add(
    'reorder of 100 to the head',
    reorderRes.status === 404 ? 'not available' : `${ms(reorderMs)} (${reorderRes.status})`,
  );

  // What the accept runs left waiting must not load the refill run.
  await soulspot.db.db
    .updateTable('downloads')
    .set({ status: 'cancelled' })
    .where('status', '=', 'waiting')
    .where('run_after', '<=', Date.now())
    .execute();

  // Restart to ready, with the workers on this time.
  const restartMs = await restart({ runWorkers: true });
  add(
    'restart to ready (one commit/request start)',
    ms(restartSingle),
    '< 2 s',
    restartSingle < 2000,
  );
  add('restart to ready (workers on)', ms(restartMs), '< 2 s', restartMs < 2000);

  // Slot refill at the emulator: a transfer's end → the next enqueue (bench/refill.bench.ts).
  const { refills, phases } = await measureRefill(
    soulspot,
    stack.emulator,
    async (r) => {
      const res = await api('POST', '/api/downloads', r);
      await res.arrayBuffer();
    },
    refill,
  );
  add('slot refill p50', ms(percentile(refills, 50)));
  add(
    'slot refill p99',
    `${ms(percentile(refills, 99))} (${refills.length} refills)`,
    '< 100 ms',
    refills.length > 0 && percentile(refills, 99) < 100,
  );
  for (const [name, value] of Object.entries(phases)) add(`  refill ${name}`, value);
  const rss = process.memoryUsage().rss / 1024 / 1024;
  add('process RSS (SoulSpot + emulator + bench)', `${rss.toFixed(0)} MB`, '< 200 MB', rss < 200);

  await soulspot.stop();
  await stack.emulator.close();
  await pgDb?.drop();
  return figures;
}
