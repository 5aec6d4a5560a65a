import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlbumTracker } from '../src/albums/album-tracker.js';
import type { AlbumDto } from '../src/albums/albums.dto.js';
import { createAlbumsRepository } from '../src/albums/albums.repository.js';
import { createAlbumsService, MAX_ALBUM_SEARCHES } from '../src/albums/albums.service.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { createQualityProfileService } from '../src/quality-profiles/quality-profiles.service.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';
import { waitUntil } from './helpers/wait.js';

/**
 * Commands on an album's tracks, one at a time or in batches, announce the album (before, only a
 * worker's write did: DELETE of a track left SSE clients with a stale album), and removing tracks
 * from the history keeps the album readable and honest (before: 500 once none was left, a stale
 * trackCount, and "completed" without completedAt or album.completed when the one failed track of
 * a partial album was removed). A real SoulSpot with its queue runner off; an emulator with no
 * peers as slskd, so every track waits; statuses a worker would write are set in the database.
 */
describe.each(testDialects())('album track commands (%s)', (dialect) => {
  let server: ApiServer;
  let seen = 0;

  beforeAll(async () => {
    server = await startApiServer(dialect);
    seen = await lastEventId();
  });
  afterAll(async () => {
    await server?.close();
  });

  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json<T>() };
  };
  async function lastEventId(): Promise<number> {
    let after = seen;
    for (;;) {
      const page = await server.soulspot.events.read(after);
      if (page.length === 0) return after;
      after = page.at(-1)!.id;
    }
  }
  /** The album events since the last call, for this album. */
  async function albumEvents(id: string): Promise<{ type: string; album: AlbumDto }[]> {
    const out: { type: string; album: AlbumDto }[] = [];
    for (;;) {
      const page = await server.soulspot.events.read(seen);
      if (page.length === 0) return out;
      for (const e of page) {
        if (!e.type.startsWith('album.')) continue;
        const album = JSON.parse(e.data) as AlbumDto;
        if (album.id === id) out.push({ type: e.type, album });
      }
      seen = page.at(-1)!.id;
    }
  }
  const newAlbum = async (name: string, titles: string[]) => {
    const res = await call<AlbumDto>('POST', '/api/albums', {
      artist: 'Command Test',
      album: name,
      tracks: titles.map((title, i) => ({ title, trackNumber: i + 1 })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // The folder search runs after the 201 and holds a search slot until it is over.
    await waitUntil(
      async () =>
        (await call<AlbumDto>('GET', `/api/albums/${res.body.id}`)).body.folderSearch.state !==
        'pending',
      { what: `album ${res.body.id}'s folder search` },
    );
    await albumEvents(res.body.id);
    return { album: res.body, ids: res.body.tracks!.map((t) => t.downloadId) };
  };
  /** What a worker's write would leave (the runner is off). */
  const setStatus = (id: string, status: DownloadStatus) =>
    server.soulspot.db.db
      .updateTable('downloads')
      .set({ status, updated_at: Date.now() })
      .where('id', '=', id)
      .execute();

  it('DELETE and retry of one track announce the album', async () => {
    const { album, ids } = await newAlbum('Single Commands', ['One', 'Two']);
    expect((await call('DELETE', `/api/downloads/${ids[0]}`)).status).toBe(200);
    let events = await albumEvents(album.id);
    expect(events.map((e) => e.type)).toEqual(['album.updated']);
    expect(events[0]!.album.counts).toMatchObject({ waiting: 1, cancelled: 1 });

    expect((await call('POST', `/api/downloads/${ids[0]}/retry`)).status).toBe(200);
    events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.status])).toEqual([['album.updated', 'wanted']]);
  });

  it('batch cancel, retry and remove announce each album once per batch', async () => {
    const { album, ids } = await newAlbum('Batch Commands', ['One', 'Two', 'Three']);
    const batch = (action: string, batchIds: string[]) =>
      call<{ successCount: number }>('POST', '/api/downloads/batch', { action, ids: batchIds });
    expect((await batch('cancel', ids)).body.successCount).toBe(3);
    let events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.status])).toEqual([['album.updated', 'cancelled']]);

    expect((await batch('retry', ids.slice(0, 2))).body.successCount).toBe(2);
    events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.status])).toEqual([['album.updated', 'wanted']]);
    expect(events[0]!.album.counts).toMatchObject({ waiting: 2, cancelled: 1 });

    expect((await batch('remove', [ids[2]!])).body.successCount).toBe(1);
    events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.trackCount])).toEqual([['album.updated', 2]]);
  });

  it('removing the failed track of a partial album completes it, with album.completed', async () => {
    const { album, ids } = await newAlbum('Partial Then Whole', ['Kept', 'Lost']);
    await setStatus(ids[0]!, 'completed');
    await setStatus(ids[1]!, 'failed');
    expect((await call<AlbumDto>('GET', `/api/albums/${album.id}`)).body.status).toBe('partial');

    const res = await call('POST', '/api/downloads/batch', { action: 'remove', ids: [ids[1]] });
    expect(res.status).toBe(200);
    const events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.status])).toEqual([
      ['album.updated', 'completed'],
      ['album.completed', 'completed'],
    ]);
    const now = (await call<AlbumDto>('GET', `/api/albums/${album.id}`)).body;
    expect(now).toMatchObject({ status: 'completed', trackCount: 1 });
    expect(now.completedAt).not.toBeNull();
    expect(now.tracks).toHaveLength(1);
  });

  it('an album whose every track was removed is empty, still readable and listed', async () => {
    const { album, ids } = await newAlbum('All Removed', ['A', 'B']);
    for (const id of ids) await setStatus(id, 'failed');
    const res = await call('POST', '/api/downloads/batch', { action: 'remove', ids });
    expect(res.status).toBe(200);
    const one = await call<AlbumDto>('GET', `/api/albums/${album.id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ status: 'empty', trackCount: 0, tracks: [] });
    const list = await call<{ items: AlbumDto[] }>('GET', '/api/albums?limit=500');
    expect(list.status).toBe(200);
    expect(list.body.items.find((a) => a.id === album.id)?.status).toBe('empty');
    const events = await albumEvents(album.id);
    expect(events.map((e) => [e.type, e.album.status])).toEqual([['album.updated', 'empty']]);
    // Nothing left to cancel or retry.
    expect((await call('POST', `/api/albums/${album.id}/retry`)).status).toBe(409);
  });

  it(`runs at most ${MAX_ALBUM_SEARCHES} album searches at once; more are told 429`, async () => {
    const n = MAX_ALBUM_SEARCHES + 2;
    const answers = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        call<{ message: string }>('POST', '/api/albums', {
          artist: 'Busy Test',
          album: `Concurrent ${i}`,
          tracks: [{ title: 'Only', trackNumber: 1 }],
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(MAX_ALBUM_SEARCHES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(answers.find((a) => a.status === 429)?.body.message).toMatch(/album searches/);
    // The bound is on searches running, not on albums: once they answered (in the background,
    // after the 201), the next one is taken.
    for (const a of answers.filter((r) => r.status === 201)) {
      const id = (a.body as unknown as AlbumDto).id;
      await waitUntil(
        async () =>
          (await call<AlbumDto>('GET', `/api/albums/${id}`)).body.folderSearch.state !== 'pending',
        { what: `album ${id}'s folder search` },
      );
    }
    const later = await call('POST', '/api/albums', {
      artist: 'Busy Test',
      album: 'Afterwards',
      tracks: [{ title: 'Only', trackNumber: 1 }],
    });
    expect(later.status).toBe(201);
  });

  const albumsService = (repo: ReturnType<typeof createAlbumsRepository>) => {
    const { soulspot } = server;
    return createAlbumsService({
      handle: soulspot.db,
      repo,
      tracker: createAlbumTracker({ repo, now: Date.now }),
      downloadsRepo: createDownloadRepository(soulspot.db),
      downloads: soulspot.downloads,
      events: soulspot.events,
      provider: soulspot.provider,
      profiles: createQualityProfileService({
        handle: soulspot.db,
        now: Date.now,
        events: soulspot.events,
      }),
      settings: soulspot.settings,
      maxRetries: () => 1,
      maxQueueSize: () => 0,
      now: Date.now,
      log: soulspot.log,
      runner: { wake: () => undefined },
    });
  };

  it("creates nothing when what the caller records in the album's transaction fails", async () => {
    const albums = albumsService(createAlbumsRepository(server.soulspot.db.db));
    let seenId = '';
    await expect(
      albums.create({ artist: 'Crash Test', album: 'Mid Write' }, (_tx, albumId) => {
        seenId = albumId;
        return Promise.reject(new Error('the process stopped here'));
      }),
    ).rejects.toThrow('the process stopped here');
    expect(seenId).not.toBe('');
    expect((await call('GET', `/api/albums/${seenId}`)).status).toBe(404);
    // And with the record made, it is in the same commit: the album and what names it.
    const made = await albums.create({ artist: 'Crash Test', album: 'Whole' }, async (tx, id) => {
      expect(
        await tx.selectFrom('albums').select('id').where('id', '=', id).execute(),
      ).toHaveLength(1);
    });
    expect((await call('GET', `/api/albums/${made.id}`)).status).toBe(200);
  });

  it('completes an album whose attached download completed during the accept', async () => {
    // An active download of the track, before any album.
    const single = await call<DownloadDto>('POST', '/api/downloads', {
      artist: 'Race Test',
      title: 'Only Track',
      album: 'Photo Finish',
    });
    expect(single.status).toBe(201);
    const { soulspot } = server;
    const base = createAlbumsRepository(soulspot.db.db);
    // The worker's completing write lands between the accept's read ("active, attach it") and the
    // attach, as PostgreSQL's read-committed allows; that write saw no album_id, so announced none.
    const repo: typeof base = {
      ...base,
      attachTrack: async (downloadId, albumId, t, db) => {
        await (db ?? soulspot.db.db)
          .updateTable('downloads')
          .set({ status: 'completed', updated_at: t })
          .where('id', '=', downloadId)
          .execute();
        return base.attachTrack(downloadId, albumId, t, db);
      },
    };
    const albums = albumsService(repo);
    const album = await albums.create({
      artist: 'Race Test',
      album: 'Photo Finish',
      tracks: [{ title: 'Only Track', trackNumber: 1 }],
    });
    expect(album.tracks?.map((t) => t.downloadId)).toEqual([single.body.id]);
    expect(album.status).toBe('completed');
    expect(album.completedAt).not.toBeNull();
    const events = await albumEvents(album.id);
    expect(events.filter((e) => e.type === 'album.completed')).toHaveLength(1);
  });
});
