import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { API_KEY, startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * POST /api/albums answers 201 before the folder search: a SoulSpot stopped right after the 201,
 * with the search still running, loses nothing. The next process on the same data takes the
 * pending search over and the album completes from its folder.
 */
const ALBUM = { artist: 'Slate Harbour', album: 'Foghorn', titles: ['Buoy', 'Jetty'] };
/** The peer answers the search this late: the first process is stopped long before. */
const LATENCY_MS = 2_500;

describe.each(testDialects())('album folder search across a stop (%s)', (dialect) => {
  let stack: Stack;
  let second: SoulSpot | undefined;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-album-durable-'));
    const files = [];
    for (const [i, t] of ALBUM.titles.entries()) {
      const f = path.join(dir, `t${i}.flac`);
      await makeTone(f, { seconds: 2, frequency: 400 + 40 * i, format: 'flac' });
      files.push({
        remotePath: `@@p\\Music\\${ALBUM.artist}\\${ALBUM.album} (2018)\\0${i + 1} - ${t}.flac`,
        localPath: f,
      });
    }
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: [{ username: 'harbour', files, behaviour: { latencyMs: LATENCY_MS } }],
      env: { SOULSPOT_SEARCH_TIMEOUT_SECONDS: '5' },
      emulator: { searchTimeoutCapMs: 5_000 },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.close();
    await pgDb?.drop();
  });

  it('a stop after the 201 leaves the search pending; the next process runs it and files the album', async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: ALBUM.artist,
      album: ALBUM.album,
      tracks: ALBUM.titles.map((title, i) => ({ title, trackNumber: i + 1 })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.folderSearch.state).toBe('pending');
    const id = res.body.id;
    await waitUntil(() => stack.emulator.searchLog.length >= 1, { what: 'the folder search' });
    await stack.soulspot.stop();
    const searchesBefore = stack.emulator.searchLog.length;

    second = await startSoulSpot(stack.config);
    const get = async () => {
      const r = await fetch(`${second!.url}/api/albums/${id}`, {
        headers: { 'x-api-key': API_KEY },
      });
      return (await r.json()) as AlbumDto;
    };
    const done = await waitUntil(
      async () => {
        const a = await get();
        return a.status === 'completed' || a.status === 'partial' ? a : null;
      },
      { what: 'the album to be filed by the second process' },
    );
    expect(done.status).toBe('completed');
    expect(done.folderSearch).toEqual({ state: 'done', error: null });
    expect(done.folder?.username).toBe('harbour');
    expect(done.tracks?.every((t) => t.fromFolder)).toBe(true);
    // The second process searched again: the first one's search was not lost, nor left pending.
    expect(stack.emulator.searchLog.length).toBeGreaterThan(searchesBefore);
  });
});
