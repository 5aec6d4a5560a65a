import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/emulator.js';
import type { AlbumDto } from '../src/albums/albums.dto.js';
import { loadConfig } from '../src/config/config.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { startIndexerServer, type IndexerServer } from './helpers/indexer-server.js';
import { API_KEY, fastEnv, startEmulatorIn } from './helpers/stack.js';

/**
 * A download's preferred provider through the API, on a real SoulSpot over both databases:
 * `provider` on POST /api/downloads, the bulk items and POST /api/albums is checked against the
 * indexers configured now (a 400 naming the field; a download client is not one), stored, and
 * sent as `preferredProvider` (null when none), on the album and on each of its tracks.
 */
describe.each(testDialects())('preferred provider API on %s', (dialect) => {
  let soulspot: SoulSpot;
  let emulator: Emulator;
  let indexer: IndexerServer;
  let root = '';
  let pg: { url: string; drop(): Promise<void> } | undefined;

  const call = async <T = Record<string, unknown>>(
    method: string,
    url: string,
    payload?: unknown,
  ) => {
    const res = await soulspot.app.inject({
      method: method as 'GET',
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, json: (res.body ? res.json() : {}) as T };
  };
  /** The id of the newest event in the log (0: none). */
  const lastEventId = async () => {
    let after = 0;
    for (;;) {
      const page = await soulspot.events.read(after);
      if (page.length === 0) return after;
      after = page.at(-1)!.id;
    }
  };
  const countDownloads = async () =>
    (await call<{ items: DownloadDto[] }>('GET', '/api/downloads?limit=500')).json.items.length;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-preferred-'));
    emulator = await startEmulatorIn(root, []);
    indexer = await startIndexerServer({ dialect: 'torznab', apiKey: 'k', releases: [] });
    pg =
      dialect === 'postgres'
        ? await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string)
        : undefined;
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      ...(pg ? { SOULSPOT_DATABASE_URL: pg.url } : {}),
      SOULSPOT_INDEXERS: JSON.stringify([
        {
          id: 'envix',
          url: indexer.apiUrl,
          apiKey: 'k',
          protocol: 'torrent',
          clientId: 'qbittorrent',
          allowPrivateAddress: true,
        },
      ]),
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        { type: 'qbittorrent', url: 'http://127.0.0.1:9', username: 'u', password: 'p' },
      ]),
    });
    soulspot = await startSoulSpot(config, { listen: false, runWorkers: false });
    await soulspot.app.ready();
  }, 60_000);

  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    await indexer?.close();
    await pg?.drop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('stores a configured indexer and shows it; none is null', async () => {
    const made = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Pref',
      title: 'On The Indexer',
      provider: 'torznab:envix',
    });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    expect(made.json.preferredProvider).toBe('torznab:envix');
    const read = await call<DownloadDto>('GET', `/api/downloads/${made.json.id}`);
    expect(read.json.preferredProvider).toBe('torznab:envix');

    const slskd = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Pref',
      title: 'On Soulseek',
      provider: 'slskd',
    });
    expect(slskd.json.preferredProvider).toBe('slskd');
    const none = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Pref',
      title: 'Any',
    });
    expect(none.json.preferredProvider).toBeNull();
    const nulled = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Pref',
      title: 'Null',
      provider: null,
    });
    expect(nulled.status).toBe(201);
    expect(nulled.json.preferredProvider).toBeNull();
  });

  it('refuses what is not a configured indexer with 400 naming the field, writing nothing', async () => {
    const before = await countDownloads();
    const cases: [unknown, RegExp][] = [
      [
        { artist: 'A', title: 'T', provider: 'torznab:gone' },
        /^body\/provider: no indexer "torznab:gone" is configured \(indexers: slskd, torznab:envix\)/,
      ],
      // A download client fetches; it finds nothing itself, so it cannot be searched first.
      [{ artist: 'A', title: 'T', provider: 'qbittorrent' }, /^body\/provider: .*download client/],
      [{ artist: 'A', title: 'T', provider: '' }, /^body\/provider/],
      [{ artist: 'A', title: 'T', provider: 'x'.repeat(51) }, /^body\/provider/],
      [{ artist: 'A', title: 'T', provider: 7 }, /^body\/provider/],
    ];
    for (const [body, message] of cases) {
      const res = await call<{ message: string }>('POST', '/api/downloads', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.message).toMatch(message);
    }
    const bulk = await call<{ message: string }>('POST', '/api/downloads/bulk', {
      items: [
        { artist: 'Bulk', title: 'One', provider: 'torznab:envix' },
        { artist: 'Bulk', title: 'Two', provider: 'nope' },
      ],
    });
    expect(bulk.status).toBe(400);
    expect(bulk.json.message).toMatch(/^body\/items\/1\/provider: no indexer "nope"/);
    const album = await call<{ message: string }>('POST', '/api/albums', {
      artist: 'Bulk',
      album: 'Refused',
      tracks: [{ title: 'X', trackNumber: 1 }],
      provider: 'nope',
    });
    expect(album.status).toBe(400);
    expect(album.json.message).toMatch(/^body\/provider: no indexer "nope"/);
    expect(await countDownloads()).toBe(before);
    const albums = await call<{ items: AlbumDto[] }>('GET', '/api/albums');
    expect(albums.json.items.map((a) => a.album)).not.toContain('Refused');
  });

  it('takes a provider per bulk item', async () => {
    const bulk = await call<{ created: number; items: { id: string }[] }>(
      'POST',
      '/api/downloads/bulk',
      {
        items: [
          { artist: 'Bulk', title: 'Indexed', provider: 'torznab:envix' },
          { artist: 'Bulk', title: 'Plain' },
        ],
      },
    );
    expect(bulk.status, JSON.stringify(bulk.json)).toBe(200);
    expect(bulk.json.created).toBe(2);
    const [first, second] = await Promise.all(
      bulk.json.items.map(
        async (i) => (await call<DownloadDto>('GET', `/api/downloads/${i.id}`)).json,
      ),
    );
    expect(first?.preferredProvider).toBe('torznab:envix');
    expect(second?.preferredProvider).toBeNull();
  });

  it('an album keeps its provider and gives it to each track', async () => {
    const made = await call<AlbumDto>('POST', '/api/albums', {
      artist: 'Album Pref',
      album: 'Two Tracks',
      tracks: [
        { title: 'One', trackNumber: 1 },
        { title: 'Two', trackNumber: 2 },
      ],
      provider: 'torznab:envix',
    });
    expect(made.status, JSON.stringify(made.json)).toBe(201);
    expect(made.json.preferredProvider).toBe('torznab:envix');
    expect(made.json.tracks).toHaveLength(2);
    for (const track of made.json.tracks ?? []) {
      const d = await call<DownloadDto>('GET', `/api/downloads/${track.downloadId}`);
      expect(d.json.preferredProvider).toBe('torznab:envix');
    }
    const read = await call<AlbumDto>('GET', `/api/albums/${made.json.id}`);
    expect(read.json.preferredProvider).toBe('torznab:envix');

    const plain = await call<AlbumDto>('POST', '/api/albums', {
      artist: 'Album Pref',
      album: 'No Preference',
      tracks: [{ title: 'Only', trackNumber: 1 }],
    });
    expect(plain.json.preferredProvider).toBeNull();
    const track = plain.json.tracks?.[0];
    const d = await call<DownloadDto>('GET', `/api/downloads/${track!.downloadId}`);
    expect(d.json.preferredProvider).toBeNull();
  });

  it('an indexer added through the API can be named at once', async () => {
    const body = { artist: 'Live', title: 'Source', provider: 'torznab:later' };
    const before = await call<{ message: string }>('POST', '/api/downloads', body);
    expect(before.status).toBe(400);
    const created = await call('POST', '/api/indexers', {
      id: 'later',
      type: 'torznab',
      settings: {
        url: indexer.apiUrl,
        apiKey: 'k',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const after = await call<DownloadDto>('POST', '/api/downloads', body);
    expect(after.status, JSON.stringify(after.json)).toBe(201);
    expect(after.json.preferredProvider).toBe('torznab:later');
    const album = await call<AlbumDto>('POST', '/api/albums', {
      artist: 'Live',
      album: 'Source Album',
      tracks: [{ title: 'One', trackNumber: 1 }],
      provider: 'torznab:later',
    });
    expect(album.status, JSON.stringify(album.json)).toBe(201);
    const seen = await lastEventId();
    expect((await call('DELETE', '/api/indexers/later')).status).toBe(204);
    // Removed since: no download or album names it any more, and the change is announced.
    expect((await call<DownloadDto>('GET', `/api/downloads/${after.json.id}`)).json).toMatchObject({
      preferredProvider: null,
    });
    expect(
      (await call<AlbumDto>('GET', `/api/albums/${album.json.id}`)).json.preferredProvider,
    ).toBeNull();
    const logged = await soulspot.events.read(seen);
    // The album's own event says so too, so an open album view shows it without a reload.
    const albumUpdates = logged
      .filter((e) => e.type === 'album.updated')
      .map((e) => JSON.parse(e.data) as AlbumDto)
      .filter((a) => a.id === album.json.id);
    expect(albumUpdates.at(-1)?.preferredProvider).toBeNull();
    const changed = logged
      .filter((e) => e.type === 'downloads.changed')
      .map((e) => JSON.parse(e.data) as { action: string; ids: string[] });
    expect(changed).toHaveLength(1);
    expect(changed[0]!.action).toBe('provider_removed');
    expect(new Set(changed[0]!.ids)).toEqual(
      new Set([after.json.id, album.json.tracks![0]!.downloadId]),
    );
    const again = await call('POST', '/api/downloads', { ...body, title: 'Source 2' });
    expect(again.status).toBe(400);
  });

  it('creating an indexer clears a stale preference for its id (one stored while a removal applied)', async () => {
    const made = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Stale',
      title: 'Preference',
    });
    expect(made.status).toBe(201);
    // As a request accepted by a provider set a poll behind a removal would have stored it, a
    // while before the create (more than two processes' clocks may differ: CLOCK_SKEW_MS).
    await soulspot.db.db
      .updateTable('downloads')
      .set({ preferred_provider: 'torznab:reborn', created_at: Date.now() - 10_000 })
      .where('id', '=', made.json.id)
      .execute();
    const created = await call('POST', '/api/indexers', {
      id: 'reborn',
      type: 'torznab',
      settings: {
        url: indexer.apiUrl,
        apiKey: 'k',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(
      (await call<DownloadDto>('GET', `/api/downloads/${made.json.id}`)).json.preferredProvider,
    ).toBeNull();
    // A preference given after it exists is kept.
    const after = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Stale',
      title: 'Preference 2',
      provider: 'torznab:reborn',
    });
    expect(after.json.preferredProvider).toBe('torznab:reborn');
    expect((await call('DELETE', '/api/indexers/reborn')).status).toBe(204);
  });

  it('an indexer switched off may still be named; the preference is kept and applies when it is on', async () => {
    const created = await call('POST', '/api/indexers', {
      id: 'resting',
      type: 'torznab',
      enabled: false,
      settings: {
        url: indexer.apiUrl,
        apiKey: 'k',
        clientId: 'qbittorrent',
        allowPrivateAddress: true,
      },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const body = { artist: 'Resting', title: 'Source', provider: 'torznab:resting' };
    const res = await call<DownloadDto>('POST', '/api/downloads', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json.preferredProvider).toBe('torznab:resting');
    // A watch rule may name it too (its downloads keep the preference the same way).
    const rule = await call('POST', '/api/watchlist', {
      artist: 'Resting Artist',
      provider: 'torznab:resting',
    });
    expect(rule.status, JSON.stringify(rule.json)).toBe(201);
    // Switching it on leaves the stored preference as it was: nothing was dropped meanwhile.
    const on = await call('PATCH', '/api/indexers/resting', { enabled: true });
    expect(on.status, JSON.stringify(on.json)).toBe(200);
    expect((await call<DownloadDto>('GET', `/api/downloads/${res.json.id}`)).json).toMatchObject({
      preferredProvider: 'torznab:resting',
    });
    // A name that is nothing configured is still refused.
    const wrong = await call<{ message: string }>('POST', '/api/downloads', {
      ...body,
      title: 'Other',
      provider: 'torznab:nothing',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toContain('body/provider');
    expect((await call('DELETE', '/api/indexers/resting')).status).toBe(204);
  });
});
