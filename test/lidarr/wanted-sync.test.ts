import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import type { Db } from '../../src/db/database.js';

/** What albums.create runs in the album's transaction (the sync records its claim there). */
type Within = (tx: Db, albumId: string) => Promise<void>;
import { createLidarrApi, lidarrAddressPolicy } from '../../src/lidarr/lidarr.api.js';
import { createLidarrRepository } from '../../src/lidarr/lidarr.repository.js';
import { createWantedSync } from '../../src/lidarr/wanted-sync.service.js';
import { checkTarget } from '../../src/net/address-policy.js';
import { loadConfig } from '../../src/config/config.js';
import { defaultSettings } from '../../src/settings/settings.definitions.js';
import { makeTone } from '../helpers/audio.js';
import { freshDb, testDialects } from '../helpers/db.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { startFakeLidarr, type FakeAlbum, type FakeLidarr } from './fake-lidarr.js';

/**
 * The wanted-list sync against a small fake Lidarr on loopback (fake-lidarr.ts, Lidarr's API
 * shapes): wanted albums queued once each with Lidarr's track list, filed by a real SoulSpot from
 * the emulator, then DownloadedAlbumsScan sent with the filed folder; de-duplicated across
 * concurrent runs and restarts on both databases; the address rule for the Lidarr URL.
 */

const WANTED: FakeAlbum[] = [
  {
    id: 11,
    artist: 'Prism Avenue',
    title: 'Harbour Lights',
    releaseDate: '2019-05-03T00:00:00Z',
    tracks: ['Night Ferry', 'Glass Harbour', 'Wire Garden'].map((title, i) => ({
      title,
      number: i + 1,
      durationMs: 2000,
    })),
  },
  {
    id: 12,
    artist: 'Copper Moth',
    title: 'Lanterns',
    releaseDate: '2021-01-01T00:00:00Z',
    tracks: ['Wick', 'Flame'].map((title, i) => ({ title, number: i + 1, durationMs: 2000 })),
  },
];

async function peers(dir: string): Promise<SimUser[]> {
  const users: SimUser[] = [];
  let n = 0;
  for (const album of WANTED) {
    const files = [];
    for (const [i, t] of album.tracks.entries()) {
      const f = path.join(dir, `t${n++}.flac`);
      await makeTone(f, { seconds: 2, frequency: 200 + 30 * n, format: 'flac' });
      files.push({
        remotePath: `@@p\\Music\\${album.artist}\\${album.title} (${album.releaseDate.slice(0, 4)})\\0${i + 1} - ${t.title}.flac`,
        localPath: f,
      });
    }
    users.push({ username: `peer${album.id}`, files });
  }
  return users;
}

describe('Lidarr wanted-list sync against a fake Lidarr and a real stack', () => {
  let lidarr: FakeLidarr;
  let stack: Stack;

  beforeAll(async () => {
    lidarr = await startFakeLidarr(WANTED);
    stack = await startStack({
      users: await peers(mkdtempSync(path.join(tmpdir(), 'soulspot-lidarr-sync-'))),
      env: { SOULSPOT_LIDARR_URL: lidarr.url, SOULSPOT_LIDARR_API_KEY: lidarr.apiKey },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await lidarr?.close();
  });

  it('shows the key write-only and the sync configured, with no run yet', async () => {
    const settings = await stack.api<Record<string, unknown>>('GET', '/api/settings');
    expect(settings.body.lidarrApiKey).toBe('********');
    expect(JSON.stringify(settings.body)).not.toContain(lidarr.apiKey);
    expect(settings.body.lidarrUrl).toBe(lidarr.url);
    // Saving the object read back (mask included) keeps the key.
    const saved = await stack.api('PATCH', '/api/settings', {
      lidarrApiKey: '********',
      lidarrSyncMinutes: 30,
    });
    expect(saved.status).toBe(200);
    const status = await stack.api<{ configured: boolean; lastRun: unknown; albums: unknown[] }>(
      'GET',
      '/api/lidarr/sync',
    );
    expect(status.body).toMatchObject({ configured: true, lastRun: null, albums: [] });
  });

  it('queues each wanted album once with its tracks and asks Lidarr to import each filed folder', async () => {
    const [a, b] = await Promise.all([
      stack.api<{ seen: number; queued: number; error: string | null }>('POST', '/api/lidarr/sync'),
      stack.api<{ seen: number; queued: number; error: string | null }>('POST', '/api/lidarr/sync'),
    ]);
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ seen: 2, queued: 2, error: null });
    // The second request joined the same run.
    expect(b.body).toEqual(a.body);
    // Every call carried the key; the track lists were read per album.
    expect(lidarr.requests.every((r) => r.key === lidarr.apiKey)).toBe(true);
    expect(
      lidarr.requests.filter((r) => r.url.startsWith('/api/v1/track?albumId=')).map((r) => r.url),
    ).toEqual(['/api/v1/track?albumId=11', '/api/v1/track?albumId=12']);
    const albums = await stack.api<{ items: AlbumDto[] }>('GET', '/api/albums');
    expect(albums.body.items.map((x) => x.album).sort()).toEqual(['Harbour Lights', 'Lanterns']);
    const harbour = albums.body.items.find((x) => x.album === 'Harbour Lights');
    expect(harbour?.trackCount).toBe(3);
    expect(harbour?.year).toBe(2019);

    // album.completed asks for the import at once (no sync run needed).
    const deadline = Date.now() + 60_000;
    while (lidarr.commands.length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    expect(lidarr.commands.map((c) => c.name)).toEqual([
      'DownloadedAlbumsScan',
      'DownloadedAlbumsScan',
    ]);
    for (const command of lidarr.commands) {
      expect(command.path.startsWith(stack.config.libraryDir)).toBe(true);
      expect(existsSync(command.path)).toBe(true);
      expect(
        readdirSync(command.path).filter((f) => f.endsWith('.flac')).length,
      ).toBeGreaterThanOrEqual(2);
    }
    const status = await stack.api<{
      albums: { lidarrAlbumId: number; state: string; albumStatus: string }[];
    }>('GET', '/api/lidarr/sync');
    expect(status.body.albums.map((x) => [x.lidarrAlbumId, x.state, x.albumStatus]).sort()).toEqual(
      [
        [11, 'imported', 'completed'],
        [12, 'imported', 'completed'],
      ],
    );
  });

  it('queues nothing again on the next run, and asks for no second import', async () => {
    const run = await stack.api<{ seen: number; queued: number; imported: number }>(
      'POST',
      '/api/lidarr/sync',
    );
    expect(run.body).toMatchObject({ seen: 2, queued: 0, imported: 0 });
    expect(lidarr.commands).toHaveLength(2);
    const albums = await stack.api<{ items: AlbumDto[] }>('GET', '/api/albums');
    expect(albums.body.items).toHaveLength(2);
  });

  it('says why when Lidarr refuses the key', async () => {
    await stack.api('PATCH', '/api/settings', { lidarrApiKey: 'not-the-key-0000000000' });
    const run = await stack.api<{ error: string | null }>('POST', '/api/lidarr/sync');
    expect(run.body.error).toMatch(/401/);
    await stack.api('PATCH', '/api/settings', { lidarrApiKey: null });
    const off = await stack.api('PATCH', '/api/settings', { lidarrUrl: '' });
    expect(off.status).toBe(200);
    const refused = await stack.api<{ message: string }>('POST', '/api/lidarr/sync');
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/not configured/);
    await stack.api('PATCH', '/api/settings', { lidarrUrl: null });
  });

  it('refuses a Lidarr URL or path mapping it could not use, naming the setting', async () => {
    for (const [body, field] of [
      [{ lidarrUrl: 'ftp://lidarr.lan' }, 'lidarrUrl'],
      [{ lidarrUrl: 'http://user:pw@lidarr.lan' }, 'lidarrUrl'],
      [{ lidarrPathMappings: [{ remote: '/x' }] }, 'lidarrPathMappings'],
      [{ lidarrSyncMinutes: -1 }, 'lidarrSyncMinutes'],
    ] as const) {
      const res = await stack.api<{ message: string }>('PATCH', '/api/settings', body);
      expect(res.status, field).toBe(400);
      expect(res.body.message, field).toContain(field);
    }
  });
});

describe.each(testDialects())('wanted-list sync de-duplication (%s)', (dialect) => {
  it('queues each Lidarr album once across concurrent syncs and a restart', async () => {
    const lidarr = await startFakeLidarr(WANTED);
    const db = await freshDb(dialect);
    try {
      const created: string[] = [];
      const albums = {
        create: async (body: { artist: string; album: string }, within?: Within) => {
          await new Promise((r) => setTimeout(r, 20));
          created.push(body.album);
          const id = `00000000-0000-4000-8000-00000000000${created.length}`;
          await within?.(db.db, id);
          return { id } as AlbumDto;
        },
        // Still downloading: the runs ask Lidarr for no import.
        get: () => Promise.resolve({ status: 'downloading', tracks: [] } as unknown as AlbumDto),
      };
      const make = () =>
        createWantedSync({
          repo: createLidarrRepository(db),
          albums: albums as never,
          api: () => createLidarrApi({ url: lidarr.url, apiKey: lidarr.apiKey }),
          includeCutoff: () => true,
          libraryDir: '/lib',
          pathMappings: () => [],
          now: Date.now,
          log: { warn: () => undefined, info: () => undefined },
        });
      // Two processes' syncs at once (each its own service: no in-process joining).
      const [one, two] = await Promise.all([make().run(), make().run()]);
      expect(one.queued + two.queued).toBe(2);
      expect(created.sort()).toEqual(['Harbour Lights', 'Lanterns']);
      // After a restart: a new service over the same database queues nothing.
      const again = await make().run();
      expect(again).toMatchObject({ seen: 2, queued: 0, error: null });
      expect(created).toHaveLength(2);
      // includeCutoff read wanted/cutoff too.
      expect(lidarr.requests.some((r) => r.url.startsWith('/api/v1/wanted/cutoff?'))).toBe(true);
    } finally {
      await db.cleanup();
      await lidarr.close();
    }
  });

  it('shows the newest run of any process, and a run whose process stopped as not finished', async () => {
    const lidarr = await startFakeLidarr(WANTED);
    const db = await freshDb(dialect);
    try {
      let clock = 1_900_000_000_000;
      const albums = {
        create: async (body: { album: string }, within?: Within) => {
          const id = randomUUID();
          await within?.(db.db, id);
          return { id, album: body.album } as unknown as AlbumDto;
        },
        get: () => Promise.resolve({ status: 'downloading', tracks: [] } as unknown as AlbumDto),
      };
      const make = () =>
        createWantedSync({
          repo: createLidarrRepository(db),
          albums: albums as never,
          api: () => createLidarrApi({ url: lidarr.url, apiKey: lidarr.apiKey }),
          includeCutoff: () => false,
          libraryDir: '/lib',
          pathMappings: () => [],
          now: () => clock,
          log: { warn: () => undefined, info: () => undefined },
        });
      const [one, two] = [make(), make()];
      expect((await two.status()).lastRun).toBeNull();
      const run = await one.run();
      expect(run).toMatchObject({ seen: 2, queued: 2, error: null });
      // The other process shows the run the first one made, with its counts and end.
      expect(await two.status()).toMatchObject({ running: false, lastRun: run });

      // A run that started and never finished (its process killed): going while young…
      const repo = createLidarrRepository(db);
      clock += 1_000;
      await repo.insertRun({
        id: randomUUID(),
        started_at: clock,
        finished_at: null,
        seen: 0,
        queued: 0,
        imported: 0,
        failed: 0,
        error: null,
      });
      expect(await two.status()).toMatchObject({ running: true, lastRun: { finishedAt: null } });
      // …and, long after, said to have stopped rather than shown running for ever.
      clock += 31 * 60_000;
      expect(await two.status()).toMatchObject({
        running: false,
        lastRun: { finishedAt: null, error: expect.stringMatching(/did not finish/) },
      });
      // Only the newest runs are kept.
      for (let i = 0; i < 55; i++) {
        clock += 1_000;
        await one.run();
      }
      const kept = await db.db
        .withTables<{ lidarr_sync_runs: { id: string } }>()
        .selectFrom('lidarr_sync_runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(kept.n)).toBe(50);
    } finally {
      await db.cleanup();
      await lidarr.close();
    }
  });

  it('queues an album whose claim a stopped process left behind, once it is stale', async () => {
    const lidarr = await startFakeLidarr(WANTED.slice(0, 1));
    const db = await freshDb(dialect);
    try {
      let clock = 1_900_000_000_000;
      const created: string[] = [];
      const albums = {
        create: async (body: { album: string }, within?: Within) => {
          created.push(body.album);
          const id = randomUUID();
          await within?.(db.db, id);
          return { id } as AlbumDto;
        },
        get: () => Promise.resolve({ status: 'downloading', tracks: [] } as unknown as AlbumDto),
      };
      const repo = createLidarrRepository(db);
      const sync = createWantedSync({
        repo,
        albums: albums as never,
        api: () => createLidarrApi({ url: lidarr.url, apiKey: lidarr.apiKey }),
        includeCutoff: () => false,
        libraryDir: '/lib',
        pathMappings: () => [],
        now: () => clock,
        log: { warn: () => undefined, info: () => undefined },
      });
      // A process lost power between the claim and the album.
      await repo.claimWanted({
        lidarr_album_id: 11,
        album_id: null,
        artist: 'Prism Avenue',
        title: 'Harbour Lights',
        state: 'claimed',
        error: null,
        created_at: clock,
        updated_at: clock,
      });
      // While the claim is young another process may be accepting it: left alone.
      clock += 60_000;
      expect(await sync.run()).toMatchObject({ queued: 0 });
      expect(created).toEqual([]);
      // Long after, nobody is: this run queues it.
      clock += 60 * 60_000;
      expect(await sync.run()).toMatchObject({ queued: 1, error: null });
      expect(created).toEqual(['Harbour Lights']);
      expect((await sync.status()).albums).toMatchObject([{ lidarrAlbumId: 11, state: 'queued' }]);
    } finally {
      await db.cleanup();
      await lidarr.close();
    }
  });
});

describe('Lidarr configuration from the environment', () => {
  it('takes SOULSPOT_LIDARR_URL and _API_KEY, and refuses a URL that is not http(s)', () => {
    const env = { SOULSPOT_API_KEY: 'a-key-of-sixteen-chars', SOULSPOT_DATA_DIR: tmpdir() };
    const config = loadConfig({
      ...env,
      SOULSPOT_LIDARR_URL: 'http://192.168.1.10:8686/',
      SOULSPOT_LIDARR_API_KEY: ' k3y ',
    });
    expect([config.lidarrUrl, config.lidarrApiKey]).toEqual(['http://192.168.1.10:8686', 'k3y']);
    expect(defaultSettings(config)).toMatchObject({
      lidarrUrl: 'http://192.168.1.10:8686',
      lidarrApiKey: 'k3y',
    });
    expect(() => loadConfig({ ...env, SOULSPOT_LIDARR_URL: 'file:///etc/passwd' })).toThrow(
      /SOULSPOT_LIDARR_URL/,
    );
    expect(loadConfig(env)).toMatchObject({ lidarrUrl: null, lidarrApiKey: null });
  });
});

describe('the Lidarr URL address rule', () => {
  it('allows the configured host whatever its class, and only that host', () => {
    const policy = lidarrAddressPolicy('http://192.168.1.10:8686/');
    expect(
      checkTarget({ host: '192.168.1.10', port: 8686, address: '192.168.1.10' }, policy).ok,
    ).toBe(true);
    // Another private host, or the same host on another port, is refused (a redirect target).
    expect(
      checkTarget({ host: '192.168.1.11', port: 8686, address: '192.168.1.11' }, policy).ok,
    ).toBe(false);
    expect(
      checkTarget({ host: '192.168.1.10', port: 22, address: '192.168.1.10' }, policy).ok,
    ).toBe(false);
    expect(
      checkTarget({ host: '169.254.169.254', port: 80, address: '169.254.169.254' }, policy).ok,
    ).toBe(false);
    const named = lidarrAddressPolicy('http://lidarr.lan:8686');
    expect(checkTarget({ host: 'lidarr.lan', port: 8686, address: '10.0.0.7' }, named).ok).toBe(
      true,
    );
    expect(checkTarget({ host: 'other.lan', port: 8686, address: '10.0.0.7' }, named).ok).toBe(
      false,
    );
  });
});
