// Sources applied live (src/sources, providers/live-provider-set.ts): an indexer and a client
// added through the API are used by the next download without a restart, a removed indexer is not
// searched again, and a second process sharing the PostgreSQL database sees each change within
// about a second. Real qBittorrent on loopback, the Torznab test server, the slskd emulator.
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { startQbittorrent, type QbtDaemon } from '../helpers/daemons/qbittorrent.js';
import { makeAlbum, makeTorrent } from '../helpers/daemons/torrent.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import { API_KEY, fastEnv, startEmulatorIn, startStack, type Stack } from '../helpers/stack.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const ARTIST = 'Live Tester';
const ALBUM = 'Only Here';
const KEY = 'live-indexer-key-0123456789';

describe('a source added through the API is used without a restart', { timeout: 60_000 }, () => {
  let work: string;
  let qbt: QbtDaemon;
  let indexer: IndexerServer;
  let stack: Stack;
  let infoHash: string;

  beforeAll(async () => {
    work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-live-sources-')));
    const dl = path.join(work, 'dl');
    await mkdir(dl, { recursive: true });
    const [daemon, folder] = await Promise.all([
      startQbittorrent(path.join(work, 'qbt'), { auth: false }),
      makeAlbum(path.join(work, 'seed'), ALBUM, ARTIST, ['First Light'], 1),
    ]);
    qbt = daemon;
    const made = await makeTorrent(folder, path.join(work, 'a.torrent'), 'http://127.0.0.1:1/a');
    infoHash = made.infoHash;
    indexer = await startIndexerServer({
      dialect: 'torznab',
      apiKey: KEY,
      releases: [
        {
          title: `${ARTIST} - ${ALBUM} (2024) [FLAC]`,
          artist: ARTIST,
          album: ALBUM,
          size: made.torrent.length * 1000,
          seeders: 1,
          infohash: made.infoHash,
          categories: [3040],
          link: 'a.torrent',
        },
      ],
    });
    indexer.addFile('a.torrent', made.torrent);
    // Nobody on Soulseek has it; no provider but slskd at start.
    stack = await startStack({ users: [{ username: 'someone', files: [] }] });
    stack.soulspot.log.level = 'silent';
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await Promise.allSettled([qbt?.stop(), indexer?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('finds and enqueues at the new client; once the indexer is removed it is not searched', async () => {
    const client = await stack.api('POST', '/api/download-clients', {
      id: 'qbt',
      type: 'qbittorrent',
      settings: {
        url: qbt.url,
        username: qbt.username,
        password: qbt.password,
        savePath: path.join(work, 'dl'),
        downloadsDir: path.join(work, 'dl'),
        allowPrivateAddress: true,
        allowPrivateIndexerLinks: true,
      },
    });
    expect(client.status, JSON.stringify(client.body)).toBe(201);
    const ix = await stack.api('POST', '/api/indexers', {
      id: 'live',
      type: 'torznab',
      settings: { url: indexer.apiUrl, apiKey: KEY, clientId: 'qbt', allowPrivateAddress: true },
    });
    expect(ix.status, JSON.stringify(ix.body)).toBe(201);
    const tested = await stack.api<{ ok: boolean }>('POST', '/api/download-clients/test', {
      id: 'qbt',
    });
    expect(tested.body.ok).toBe(true);

    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'First Light',
      album: ALBUM,
      durationSeconds: 1,
    });
    expect(created.status).toBe(201);
    await waitUntil(
      async () => {
        const res = await qbt.api('torrents/info');
        const list = (await res.json()) as Array<{ hash: string }>;
        return list.some((t) => t.hash === infoHash);
      },
      { what: 'the torrent at the new client', timeoutMs: 30_000, intervalMs: 200 },
    );
    const candidates = await stack.api<CandidatesDto>(
      'GET',
      `/api/downloads/${created.body.id}/candidates`,
    );
    expect(candidates.body.provider).toBe('torznab:live');

    expect((await stack.api('DELETE', '/api/indexers/live')).status).toBe(204);
    const searchesBefore = indexer.requests.filter((r) => r.t !== 'caps').length;
    const second = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Second Light',
      album: ALBUM,
      durationSeconds: 1,
    });
    expect(second.status).toBe(201);
    await waitUntil(
      () => stack.emulator.searchLog.some((s) => JSON.stringify(s).includes('Second Light')),
      { what: 'the second search at slskd', timeoutMs: 10_000 },
    );
    await sleep(1500);
    expect(indexer.requests.filter((r) => r.t !== 'caps').length).toBe(searchesBefore);
    expect(stack.soulspot.provider.indexerIds).toEqual(['slskd']);
  });
});

describe.runIf(testDialects().includes('postgres'))(
  'two processes sharing one PostgreSQL database',
  { timeout: 30_000 },
  () => {
    const started: SoulSpot[] = [];
    let db: { url: string; drop(): Promise<void> } | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    afterAll(async () => {
      for (const s of started) await s.stop();
      await cleanup?.();
      await db?.drop();
    });

    it('see a source added, changed and removed in the other within about a second', async () => {
      const root = await mkdtemp(path.join(tmpdir(), 'soulspot-live-pg-'));
      const emulator = await startEmulatorIn(root, []);
      cleanup = async () => {
        await emulator.close();
        await rm(root, { recursive: true, force: true });
      };
      db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      for (const name of ['a', 'b']) {
        const config = loadConfig({
          ...fastEnv(path.join(root, name)),
          SOULSPOT_SLSKD_URL: emulator.url,
          SOULSPOT_DATABASE_URL: db.url,
        });
        started.push(await startSoulSpot(config, { listen: false, runWorkers: false }));
      }
      const [a, b] = started as [SoulSpot, SoulSpot];
      const send = async (method: string, url: string, payload?: object) => {
        const res = await a.app.inject({
          method: method as 'GET',
          url,
          headers: { 'x-api-key': API_KEY },
          ...(payload ? { payload } : {}),
        });
        return res.statusCode;
      };
      const seenBy = async (what: string, ok: () => boolean): Promise<number> => {
        const t0 = Date.now();
        await waitUntil(ok, { what, timeoutMs: 3000, intervalMs: 20 });
        return Date.now() - t0;
      };
      expect(
        await send('POST', '/api/download-clients', {
          id: 'shared-qbt',
          type: 'qbittorrent',
          settings: { url: 'http://127.0.0.1:9', username: 'u', password: 'shared-pw-123456' },
        }),
      ).toBe(400); // loopback without allowPrivateAddress
      expect(
        await send('POST', '/api/download-clients', {
          id: 'shared-qbt',
          type: 'qbittorrent',
          settings: {
            url: 'http://127.0.0.1:9',
            username: 'u',
            password: 'shared-pw-123456',
            allowPrivateAddress: true,
          },
        }),
      ).toBe(201);
      expect(
        await send('POST', '/api/indexers', {
          id: 'shared',
          type: 'torznab',
          settings: {
            url: 'http://127.0.0.1:9/api',
            apiKey: 'k',
            clientId: 'shared-qbt',
            allowPrivateAddress: true,
          },
        }),
      ).toBe(201);
      const added = await seenBy('B to have the indexer', () =>
        b.provider.indexerIds.includes('torznab:shared'),
      );
      expect(added).toBeLessThan(1500);
      expect(b.provider.ids).toContain('shared-qbt');
      const listed = await b.app.inject({
        method: 'GET',
        url: '/api/indexers',
        headers: { 'x-api-key': API_KEY },
      });
      expect(listed.json().items.map((i: { id: string }) => i.id)).toEqual(['shared']);

      expect(await send('PATCH', '/api/indexers/shared', { enabled: false })).toBe(200);
      await seenBy(
        'B to drop the disabled indexer',
        () => !b.provider.indexerIds.includes('torznab:shared'),
      );
      expect(await send('DELETE', '/api/indexers/shared')).toBe(204);
      expect(await send('DELETE', '/api/download-clients/shared-qbt')).toBe(204);
      const removed = await seenBy(
        'B to drop the client',
        () => !b.provider.ids.includes('shared-qbt'),
      );
      expect(removed).toBeLessThan(1500);
    });
  },
);
