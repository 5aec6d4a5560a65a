import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { sha } from '../helpers/files.js';
import { startStack, type Stack } from '../helpers/stack.js';

/**
 * Albums end to end against the emulator: the folder found by browsing (its search answer shows
 * only one file), a track that fails at the folder's peer and is filled from another, an album
 * without a track list, cancel and retry, and the API's refusals.
 */

const ONE = {
  artist: 'Prism Avenue',
  album: 'Harbour Lights',
  titles: ['Night Ferry', 'Glass Harbour', 'Wire Garden'],
};
const TWO = {
  artist: 'Velvet Static',
  album: 'Low Orbit',
  titles: ['Launch Window', 'Apogee', 'Reentry'],
};
const OPEN = { artist: 'Copper Moth', album: 'Lanterns', titles: ['Wick', 'Flame', 'Ember'] };
const SLOW = { artist: 'Tidal Glass', album: 'Undertow', titles: ['Shoal', 'Rip'] };

const tracksOf = (titles: string[]) => titles.map((title, i) => ({ title, trackNumber: i + 1 }));

async function share(dir: string): Promise<{ users: SimUser[]; tones: string[] }> {
  const tones: string[] = [];
  for (let i = 0; i < 12; i++) {
    const f = path.join(dir, `t${i}.flac`);
    await makeTone(f, { seconds: 2, frequency: 220 + 37 * i, format: 'flac' });
    tones.push(f);
  }
  const tone = (i: number) => tones[i] as string;
  const folder = (user: string, a: typeof ONE, extra = '') =>
    `@@${user}\\Music\\${a.artist}\\${a.album} (2019)${extra}`;
  const users: SimUser[] = [
    {
      // The whole album, but its search answer holds only the first track: browsing shows the rest.
      username: 'folderpeer',
      files: ONE.titles.map((t, i) => ({
        remotePath: `${folder('f', ONE)}\\0${i + 1} - ${t}.flac`,
        localPath: tone(i),
        hiddenFromSearch: i > 0,
      })),
    },
    {
      // The same tracks as singles, on a free peer: what per-track searches would take.
      username: 'singles',
      files: ONE.titles.slice(1).map((t, i) => ({
        remotePath: `@@s\\Music\\${ONE.artist}\\Singles\\${t}.flac`,
        localPath: tone(i + 1),
      })),
    },
    {
      // The second album; its track 2 errors at this peer.
      username: 'mainpeer',
      files: TWO.titles.map((t, i) => ({
        remotePath: `${folder('m', TWO)}\\0${i + 1} - ${t}.flac`,
        localPath: tone(3 + i),
        ...(i === 1 ? { failAfterBytes: 2000 } : {}),
      })),
    },
    {
      username: 'backup',
      files: [
        {
          remotePath: `@@b\\Music\\${TWO.artist}\\Misc\\${TWO.titles[1]}.flac`,
          localPath: tone(4),
        },
      ],
    },
    {
      username: 'openpeer',
      files: OPEN.titles.map((t, i) => ({
        remotePath: `${folder('o', OPEN)}\\0${i + 1} - ${t}.flac`,
        localPath: tone(6 + i),
      })),
    },
    {
      username: 'slowpeer',
      files: SLOW.titles.map((t, i) => ({
        remotePath: `${folder('w', SLOW)}\\0${i + 1} - ${t}.flac`,
        localPath: tone(9 + i),
      })),
      behaviour: { stuckInQueue: true },
    },
  ];
  return { users, tones };
}

describe.each(testDialects())('albums (%s)', (dialect) => {
  let stack: Stack;
  let tones: string[];
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const built = await share(mkdtempSync(path.join(tmpdir(), 'soulspot-albums-')));
    tones = built.tones;
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: built.users,
      env: { SOULSPOT_MAX_RETRIES: '1', SOULSPOT_STALL_TIMEOUT_SECONDS: '600' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  const album = (id: string) => stack.api<AlbumDto>('GET', `/api/albums/${id}`);
  async function until(id: string, done: (a: AlbumDto) => boolean, ms = 45_000): Promise<AlbumDto> {
    const deadline = Date.now() + ms;
    for (;;) {
      const a = (await album(id)).body;
      if (done(a)) return a;
      if (Date.now() > deadline)
        throw new Error(`album ${id} stayed ${JSON.stringify(a, null, 1)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** The album once its background folder search is over (POST /api/albums answers before it). */
  const searched = (id: string) => until(id, (a) => a.folderSearch.state !== 'pending');
  async function albumEvents(id: string): Promise<{ type: string; status: string }[]> {
    const out: { type: string; status: string }[] = [];
    for (let after = 0; ;) {
      const page = await stack.soulspot.events.read(after);
      if (page.length === 0) return out;
      for (const e of page) {
        if (!e.type.startsWith('album.')) continue;
        const p = JSON.parse(e.data) as AlbumDto;
        if (p.id === id) out.push({ type: e.type, status: p.status });
      }
      after = page.at(-1)!.id;
    }
  }

  it('takes every track from the one folder found by browsing', async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: ONE.artist,
      album: ONE.album,
      year: 2019,
      tracks: tracksOf(ONE.titles),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // Accepted at once, its tracks queued; the folder is searched in the background.
    expect(res.body.folderSearch).toEqual({ state: 'pending', error: null });
    expect(res.body.status).toBe('wanted');
    expect(res.body.trackCount).toBe(3);
    expect((await searched(res.body.id)).folder).toMatchObject({
      username: 'folderpeer',
      fileCount: 3,
    });
    expect(res.body.tracks?.map((t) => [t.trackNumber, t.title])).toEqual([
      [1, 'Night Ferry'],
      [2, 'Glass Harbour'],
      [3, 'Wire Garden'],
    ]);
    const done = await until(
      res.body.id,
      (a) => a.status === 'completed' || a.status === 'partial',
    );
    expect(done.status).toBe('completed');
    expect(done.completedAt).not.toBeNull();
    expect(done.tracks?.every((t) => t.fromFolder && t.source?.username === 'folderpeer')).toBe(
      true,
    );
    done.tracks?.forEach((t, i) => expect(sha(t.libraryPath!)).toBe(sha(tones[i] as string)));
    // The emulator's enqueue log: the three files, from that one peer, once each.
    const enq = stack.emulator.enqueues.filter((e) => e.filename.includes(ONE.album));
    expect(enq.map((e) => e.username)).toEqual(['folderpeer', 'folderpeer', 'folderpeer']);
    expect(new Set(enq.map((e) => e.filename)).size).toBe(3);
    expect(stack.emulator.enqueues.some((e) => e.username === 'singles')).toBe(false);
    // The downloads carry the album's facts.
    const d = await stack.api<{
      album: string;
      albumArtist: string;
      year: number;
      trackNumber: number;
    }>('GET', `/api/downloads/${done.tracks![1]!.downloadId}`);
    expect(d.body).toMatchObject({
      album: ONE.album,
      albumArtist: ONE.artist,
      year: 2019,
      trackNumber: 2,
    });
    const events = await albumEvents(res.body.id);
    expect(events.filter((e) => e.type === 'album.completed')).toHaveLength(1);
    expect(events.at(-1)).toEqual({ type: 'album.completed', status: 'completed' });
    expect(events.filter((e) => e.type === 'album.updated').length).toBeGreaterThan(1);
  });

  it('fills a track that fails at the folder’s peer from another peer and completes once', async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: TWO.artist,
      album: TWO.album,
      tracks: tracksOf(TWO.titles),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await searched(res.body.id)).folder?.username).toBe('mainpeer');
    const done = await until(
      res.body.id,
      (a) => a.status === 'completed' || a.status === 'partial',
    );
    expect(done.status).toBe('completed');
    const byNumber = new Map(done.tracks!.map((t) => [t.trackNumber, t]));
    expect(byNumber.get(1)?.source?.username).toBe('mainpeer');
    expect(byNumber.get(3)?.source?.username).toBe('mainpeer');
    expect(byNumber.get(2)?.source?.username).toBe('backup');
    expect(byNumber.get(2)?.fromFolder).toBe(false);
    const second = stack.emulator.enqueues.filter((e) => e.filename.includes(TWO.titles[1]!));
    expect(second.map((e) => e.username)).toEqual(['mainpeer', 'backup']);
    const events = await albumEvents(res.body.id);
    expect(events.filter((e) => e.type === 'album.completed')).toHaveLength(1);
  });

  it('without a track list takes the folder’s files as the tracks', async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: OPEN.artist,
      album: OPEN.album,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    // No tracks until the folder is found: the album is searching.
    expect(res.body).toMatchObject({ status: 'searching', trackCount: 0, tracks: [] });
    expect((await searched(res.body.id)).tracks?.map((t) => [t.trackNumber, t.title])).toEqual([
      [1, 'Wick'],
      [2, 'Flame'],
      [3, 'Ember'],
    ]);
    const done = await until(
      res.body.id,
      (a) => a.status === 'completed' || a.status === 'partial',
    );
    expect(done.status).toBe('completed');
    const none = await stack.api('POST', '/api/albums', {
      artist: 'Nobody Here',
      album: 'Nothing',
    });
    // Accepted too; the search finds nothing and the album says so.
    expect(none.status).toBe(201);
    const failed = await searched((none.body as AlbumDto).id);
    expect(failed.status).toBe('failed');
    expect(failed.folderSearch.state).toBe('failed');
    expect(failed.folderSearch.error).toMatch(/^No folder with "Nobody Here - Nothing"/);
  });

  it('cancels an album and retries it', async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: SLOW.artist,
      album: SLOW.album,
      tracks: tracksOf(SLOW.titles),
    });
    expect(res.status).toBe(201);
    // One at the peer (its per-user limit), the other waiting for it.
    await until(res.body.id, (a) => a.counts.working >= 1);
    const cancelled = await stack.api<AlbumDto>('POST', `/api/albums/${res.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(cancelled.body.tracks?.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    const again = await stack.api<{ message: string }>('POST', `/api/albums/${res.body.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/no unfinished tracks/);

    stack.emulator.setBehaviour('slowpeer', { stuckInQueue: false });
    const retried = await stack.api<AlbumDto>('POST', `/api/albums/${res.body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(['wanted', 'downloading']).toContain(retried.body.status);
    const done = await until(
      res.body.id,
      (a) => a.status === 'completed' || a.status === 'partial',
    );
    expect(done.status).toBe('completed');
    const noRetry = await stack.api<{ message: string }>(
      'POST',
      `/api/albums/${res.body.id}/retry`,
    );
    expect(noRetry.status).toBe(409);
    const events = await albumEvents(res.body.id);
    expect(events.filter((e) => e.type === 'album.completed')).toHaveLength(1);
    expect(events.map((e) => e.status)).toContain('cancelled');
  });

  it('lists albums newest first, in pages', async () => {
    const first = await stack.api<{ items: AlbumDto[]; nextCursor: string | null }>(
      'GET',
      '/api/albums?limit=2',
    );
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]?.tracks).toBeUndefined();
    const rest = await stack.api<{ items: AlbumDto[]; nextCursor: string | null }>(
      'GET',
      `/api/albums?limit=50&cursor=${first.body.nextCursor}`,
    );
    const all = [...first.body.items, ...rest.body.items];
    // "Nothing" is the album whose folder search found nothing: accepted, then failed.
    expect(all.map((a) => a.album)).toEqual([
      SLOW.album,
      'Nothing',
      OPEN.album,
      TWO.album,
      ONE.album,
    ]);
    expect(rest.body.nextCursor).toBeNull();
    expect((await stack.api('GET', '/api/albums?cursor=bogus!')).status).toBe(400);
  });

  it('refuses bad album requests, naming the field', async () => {
    const post = (body: unknown) => stack.api<{ message: string }>('POST', '/api/albums', body);
    const cases: [unknown, RegExp][] = [
      [{ album: 'X' }, /body\/artist is required/],
      [{ artist: ' ', album: 'X' }, /body\/artist/],
      [{ artist: 'A', album: 'X', tracks: [] }, /body\/tracks/],
      [
        { artist: 'A', album: 'X', tracks: [{ title: 'T', trackNumber: 0 }] },
        /body\/tracks\/0\/trackNumber/,
      ],
      [{ artist: 'A', album: 'X', tracks: [{ title: 'T' }] }, /body\/tracks\/0/],
      [
        { artist: 'A', album: 'X', tracks: [{ title: 'T', trackNumber: 1, extra: 1 }] },
        /body\/tracks\/0/,
      ],
      [{ artist: 'A', album: 'X', bogus: true }, /body/],
      [{ artist: 'A', album: 'X', qualityProfileId: 'nope' }, /body\/qualityProfileId/],
      [
        { artist: 'A', album: 'X', qualityProfileId: '00000000-0000-4000-8000-000000000000' },
        /body\/qualityProfileId: no such profile/,
      ],
      [
        {
          artist: 'A',
          album: 'X',
          tracks: Array.from({ length: 201 }, (_, i) => ({ title: `T${i}`, trackNumber: i + 1 })),
        },
        /body\/tracks/,
      ],
      [
        {
          artist: 'A',
          album: 'X',
          tracks: [
            { title: 'T', trackNumber: 1 },
            { title: 'U', trackNumber: 1 },
          ],
        },
        /body\/tracks\/1\/trackNumber: track 1 of disc 1 is also tracks\/0/,
      ],
      [
        {
          artist: 'A',
          album: 'X',
          tracks: [
            { title: 'Same', trackNumber: 1 },
            { title: 'same!', trackNumber: 2 },
          ],
        },
        /body\/tracks\/1\/title/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.message).toMatch(message);
    }
    // The same number on two discs is two tracks.
    const discs = await post({
      artist: 'Disc Test',
      album: 'Two Discs',
      tracks: [
        { title: 'A', trackNumber: 1, discNumber: 1 },
        { title: 'B', trackNumber: 1, discNumber: 2 },
      ],
    });
    expect(discs.status).toBe(201);
    expect((await stack.api('GET', '/api/albums/not-a-uuid')).status).toBe(400);
    const missing = await stack.api<{ message: string }>(
      'GET',
      '/api/albums/00000000-0000-4000-8000-000000000000',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Album 00000000-0000-4000-8000-000000000000 not found');
    expect(
      (await stack.api('POST', '/api/albums/00000000-0000-4000-8000-000000000000/retry')).status,
    ).toBe(404);
  });

  it('refuses a whole album when the queue has no room for it (429, nothing written)', async () => {
    const before = (await stack.api<{ items: AlbumDto[] }>('GET', '/api/albums?limit=500')).body
      .items.length;
    expect((await stack.api('PATCH', '/api/settings', { maxQueueSize: 1 })).status).toBe(200);
    try {
      const res = await stack.api<{ message: string }>('POST', '/api/albums', {
        artist: 'Full Queue',
        album: 'No Room',
        tracks: tracksOf(['One', 'Two', 'Three']),
      });
      expect(res.status).toBe(429);
      expect(res.body.message).toMatch(/maxQueueSize/);
      const after = (await stack.api<{ items: AlbumDto[] }>('GET', '/api/albums?limit=500')).body
        .items;
      expect(after).toHaveLength(before);
    } finally {
      await stack.api('PATCH', '/api/settings', { maxQueueSize: null });
    }
  });
});
