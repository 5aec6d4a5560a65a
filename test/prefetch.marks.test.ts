// Searches ahead across processes (prefetch.ts, marks of migration 013): prefetchers sharing one
// database never search the same download ahead at once, a search ahead stops once its download
// no longer wants it (paused), and a claim's settle does not outwait an aborted job. Real
// database (PostgreSQL with separate pools, as separate processes; SQLite too) and the slskd
// emulator over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { createPrefetcher, type Prefetcher } from '../src/downloads/prefetch.js';
import { createPrefetchRepository } from '../src/downloads/prefetch.repository.js';
import { createSlskdProvider } from '../src/providers/slskd/slskd.provider.js';
import { slskdSettings } from '../src/providers/slskd/slskd.settings.js';
import type { Emulator } from '../emulator/types.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';
import { SLSKD_KEY, startEmulatorIn } from './helpers/stack.js';
import { waitUntil } from './helpers/wait.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe.each(testDialects())('searches ahead across processes on %s', (dialect) => {
  let db: TestDb;
  let root: string;
  let emulator: Emulator;
  const others: DatabaseHandle[] = [];
  const prefetchers: Prefetcher[] = [];

  beforeEach(async () => {
    db = await freshDb(dialect);
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-marks-'));
    // Each search runs its whole (capped) inactivity timeout, min(cap, the search's own timeout):
    // 8 s, long enough for every look below on a loaded machine (with a 1 s timeout the search
    // could end on its own before the test looked, and leave a mark).
    emulator = await startEmulatorIn(root, [], undefined, { searchTimeoutCapMs: 8000 });
  });
  afterEach(async () => {
    await Promise.all(prefetchers.splice(0).map((p) => p.stop()));
    await Promise.all(others.splice(0).map((h) => h.close()));
    await emulator.close();
    slskd = undefined as never;
    await db.cleanup();
    rmSync(root, { recursive: true, force: true });
  });

  /** A handle as another process would have: its own pool on PostgreSQL (SQLite: one process). */
  const openOther = async (): Promise<DatabaseHandle> => {
    if (dialect === 'sqlite') return db;
    const handle = await openDatabase({
      url: process.env.SOULSPOT_TEST_PG_URL as string,
      pgSchema: db.schema!,
      poolSize: 2,
    });
    others.push(handle);
    return handle;
  };
  let slskd: ReturnType<typeof createSlskdProvider>;
  const prefetcher = async (): Promise<Prefetcher> => {
    slskd ??= createSlskdProvider(slskdSettings({ url: emulator.url, apiKey: SLSKD_KEY }));
    const p = createPrefetcher({
      repo: createPrefetchRepository(await openOther()),
      provider: slskd,
      settings: {
        get: ((k: string) =>
          k === 'maxConcurrent' ? 3 : k === 'searchTimeoutSeconds' ? 30 : 0) as never,
      },
      mayStart: () => true,
      activeJobs: () => 1,
      endingWithin: () => 1,
      followed: () => 0,
      pollIntervalMs: 50,
      now: Date.now,
      log: silent,
    });
    prefetchers.push(p);
    return p;
  };
  const searchesFor = (title: string) =>
    emulator.searchLog.filter((s) => s.searchText.includes(title));

  it('three prefetchers on one database search a download ahead once', async () => {
    await db.db
      .insertInto('downloads')
      .values(downloadRow({ status: 'waiting', run_after: 0, title: 'Once' }))
      .execute();
    const all = [await prefetcher(), await prefetcher(), await prefetcher()];
    for (const p of all) p.start();
    await waitUntil(() => (searchesFor('Once').length > 0 ? true : null), {
      what: 'a search ahead',
      timeoutMs: 10_000,
    });
    // Every prefetcher has looked several times (50 ms apart) while that search runs.
    await new Promise((r) => setTimeout(r, 600));
    expect(searchesFor('Once')).toHaveLength(1);
    expect(all.reduce((n, p) => n + p.inFlight, 0)).toBe(1);
  });

  it('does not search ahead for a download that searches another indexer first', async () => {
    await db.db
      .insertInto('downloads')
      .values([
        downloadRow({
          status: 'waiting',
          run_after: 0,
          title: 'Elsewhere',
          created_at: 1,
          preferred_provider: 'torznab:other',
        }),
        downloadRow({ status: 'waiting', run_after: 0, title: 'Here', created_at: 2 }),
      ])
      .execute();
    (await prefetcher()).start();
    await waitUntil(() => (searchesFor('Here').length > 0 ? true : null), {
      what: 'the search ahead of the download without a preference',
      timeoutMs: 10_000,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(searchesFor('Elsewhere')).toHaveLength(0);
  });

  it('a search ahead stops when its download is paused, and settle gives way to an abort', async () => {
    const row = downloadRow({ status: 'waiting', run_after: 0, title: 'Paused' });
    await db.db.insertInto('downloads').values(row).execute();
    const p = await prefetcher();
    p.start();
    // In flight here and arrived at slskd (the count goes up before the request is sent).
    await waitUntil(() => (p.inFlight === 1 && searchesFor('Paused').length > 0 ? true : null), {
      what: 'a search ahead',
      timeoutMs: 10_000,
    });
    // A claimed job that is aborted at once does not wait for the search.
    const aborted = new AbortController();
    aborted.abort();
    const lease = { downloadId: row.id, owner: 'w', token: 1, pool: 'transfer' as const };
    let settled = false;
    await p.settle(lease, aborted.signal).then(() => (settled = true));
    expect(settled).toBe(true);
    // It returned while the search still runs at slskd (it has not waited it out).
    const search = searchesFor('Paused')[0]!;
    expect((await slskd.getSearch(search.id)).state).toBe('running');

    await db.db.updateTable('downloads').set({ hold: 'paused' }).where('id', '=', row.id).execute();
    await waitUntil(() => (p.inFlight === 0 ? true : null), {
      what: 'the search ahead to stop',
      timeoutMs: 10_000,
    });
    // Given up, not run out: no "searched, nothing usable" mark is left (that one would keep
    // every process from searching it ahead again), and slskd no longer has the search.
    expect(await db.db.selectFrom('prefetch_marks').selectAll().execute()).toEqual([]);
    // The delete at slskd is sent without being waited for (prefetch.ts): it lands soon after.
    await waitUntil(
      async () => ((await slskd.getSearch(search.id)).state === 'missing' ? true : null),
      { what: 'the search deleted at slskd', timeoutMs: 5_000 },
    );
  });
});
