import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { PREFETCH_FRESH_MS, type StoredCandidates } from '../../src/downloads/search.step.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const ARTIST = 'Ahead Band';
const TITLES = ['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf'];
const remote = (t: string) => `@@a\\Music\\${ARTIST}\\Early\\${t}.flac`;
const SLOW = 'Slow Song';
const slowRemote = `@@s\\Music\\${ARTIST}\\Crawl\\${SLOW}.flac`;
const SLOW2 = 'Slow Again';
const slow2Remote = `@@s\\Music\\${ARTIST}\\Crawl\\${SLOW2}.flac`;

/**
 * Searching ahead, end to end: a real SoulSpot, the emulator, the public API, one slot. The slow
 * track's transfer takes a few seconds; the next downloads' searches must have reached the
 * emulator before it ended, and nothing about a search ahead may change what runs, in what order,
 * or how often. The emulator's search log says what was searched and when.
 */
describe.each(testDialects())('searching ahead on %s', (dialect) => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot | undefined;
  let databaseUrl: string | undefined;
  let drop: (() => Promise<void>) | undefined;

  const start = async () => {
    soulspot = await startSoulSpot(
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '1',
        SOULSPOT_MAX_RETRIES: '0',
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
      }),
      { listen: false },
    );
  };
  const api = async <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => {
    const res = await soulspot!.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': API_KEY },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: res.json<T>() };
  };
  const add = async (title: string) =>
    (await api<DownloadDto>('POST', '/api/downloads', { artist: ARTIST, title })).body;
  const get = async (id: string) => (await api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
  const until = (what: string, probe: () => Promise<boolean>) =>
    waitUntil(async () => (await probe()) || null, { what, timeoutMs: 90_000 });
  const searchesFor = (title: string) =>
    emulator.searchLog.filter((s) => s.searchText === `${ARTIST} ${title}`.replace(/ +/g, ' '));
  /** When the emulator's slow transfer ended (Date.now() scale). */
  const slowEndedAt = async (): Promise<number> => {
    const rows = await soulspot!.db.db
      .selectFrom('attempts')
      .select('finished_at')
      .where('filename', '=', slowRemote)
      .where('state', '=', 'succeeded')
      .execute();
    return Number(rows[0]?.finished_at);
  };
  const enqueued = () => emulator.enqueues.map((e) => e.filename);

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-prefetch-'));
    const file = path.join(root, 'tone.flac');
    await makeTone(file, { seconds: 2, format: 'flac' });
    emulator = await startEmulatorIn(root, [
      {
        username: 'quick',
        behaviour: { uploadSpeed: 400_000 },
        files: TITLES.map((t) => ({ remotePath: remote(t), localPath: file })),
      },
      {
        // About 4 s per transfer: time enough for the searches ahead of its end.
        username: 'slowpoke',
        behaviour: { uploadSpeed: Math.ceil(statSync(file).size / 4) },
        files: [
          { remotePath: slowRemote, localPath: file },
          { remotePath: slow2Remote, localPath: file },
        ],
      },
    ]);
    if (dialect === 'postgres') {
      const db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = db.url;
      drop = db.drop;
    }
    await start();
  });
  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  it('searches the next download before the slot frees, and never for a held one', async () => {
    await api('POST', '/api/queue/pause');
    const slow = await add(SLOW);
    const a = await add('Alpha');
    const b = await add('Bravo');
    const c = await add('Charlie');
    // Bravo paused, Charlie scheduled far ahead: held, so neither may be searched ahead.
    await api('POST', '/api/downloads/batch', { ids: [b.id], action: 'pause' });
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await api('PATCH', `/api/downloads/${c.id}`, { scheduledAt: later });
    await api('POST', '/api/queue/resume');

    await until('the slow track and Alpha completed', async () => {
      const all = await Promise.all([slow, a].map((x) => get(x.id)));
      return all.every((x) => x.status === 'completed');
    });
    const end = await slowEndedAt();
    // Alpha's only search reached slskd while the slow transfer was still running.
    expect(searchesFor('Alpha')).toHaveLength(1);
    expect(searchesFor('Alpha')[0]!.at).toBeLessThan(end);
    expect(searchesFor('Bravo')).toHaveLength(0);
    expect(searchesFor('Charlie')).toHaveLength(0);
    expect((await get(b.id)).status).toBe('paused');
    expect((await get(c.id)).status).toBe('scheduled');

    // Let them go: each runs once, searched once.
    await api('POST', '/api/downloads/batch', { ids: [b.id], action: 'resume' });
    await api('PATCH', `/api/downloads/${c.id}`, { scheduledAt: null });
    await until('Bravo and Charlie completed', async () => {
      const all = await Promise.all([b, c].map((x) => get(x.id)));
      return all.every((x) => x.status === 'completed');
    });
    expect(searchesFor('Bravo')).toHaveLength(1);
    expect(searchesFor('Charlie')).toHaveLength(1);
    // Each ran once; the slow track and Alpha in queue order (Bravo and Charlie in release order).
    expect(enqueued().slice(0, 2)).toEqual([slowRemote, remote('Alpha')]);
    expect(enqueued().slice(2).sort()).toEqual([remote('Bravo'), remote('Charlie')]);
  });

  it('keeps the queue order when a download searched ahead is overtaken', async () => {
    const before = emulator.enqueues.length;
    await api('POST', '/api/queue/pause');
    await add(SLOW2);
    const d = await add('Delta');
    const e = await add('Echo');
    await api('POST', '/api/queue/resume');
    // Delta, next in line, is searched ahead while the slow track transfers; then Echo jumps it.
    await until('Delta searched ahead', async () => searchesFor('Delta').length === 1);
    await api('POST', '/api/downloads/reorder', { ids: [e.id] });
    await until('Delta and Echo completed', async () => {
      const all = await Promise.all([d, e].map((x) => get(x.id)));
      return all.every((x) => x.status === 'completed');
    });
    expect(enqueued().slice(before)).toEqual([slow2Remote, remote('Echo'), remote('Delta')]);
    // Delta ran once, on the candidates found ahead: no second search.
    expect(searchesFor('Delta')).toHaveLength(1);
    expect(enqueued().filter((f) => f === remote('Delta'))).toHaveLength(1);
  });

  it('searches again when what was found ahead is older than the freshness bound', async () => {
    await api('POST', '/api/queue/pause');
    const f = await add('Foxtrot');
    // Candidates found ahead long ago, pointing at a peer that has since gone: stale, so unused.
    const stale: StoredCandidates = {
      query: `${ARTIST} Foxtrot`,
      ranked: [
        {
          candidate: {
            provider: 'slskd',
            username: 'gone',
            filename: '@@g\\Music\\Ahead Band\\Early\\Foxtrot.flac',
            size: 1000,
            extension: 'flac',
            hasFreeUploadSlot: true,
            queueLength: 0,
            uploadSpeed: 1000,
          },
          score: 1,
          notes: [],
        },
      ],
      rejected: [],
      prefetchedAt: Date.now() - PREFETCH_FRESH_MS - 60_000,
    };
    await soulspot!.db.db
      .updateTable('downloads')
      .set({ candidates: JSON.stringify(stale) })
      .where('id', '=', f.id)
      .execute();
    await api('POST', '/api/queue/resume');
    await until('Foxtrot completed', async () => (await get(f.id)).status === 'completed');
    expect(searchesFor('Foxtrot')).toHaveLength(1);
    expect(emulator.enqueues.filter((x) => x.username === 'gone')).toHaveLength(0);
    expect(enqueued().filter((x) => x === remote('Foxtrot'))).toHaveLength(1);
  });
});
