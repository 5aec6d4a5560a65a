import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * A retried album track is pinned to the album's folder again: it tries the chosen folder's file
 * (its peer) first, as on its first run, although a search of its own would rank another peer's
 * file higher (a FLAC, where the folder has MP3s).
 */
const ALBUM = { artist: 'Amber Coast', album: 'Tidewater', titles: ['Salt Line', 'Low Tide'] };

async function share(dir: string): Promise<SimUser[]> {
  const mp3s: string[] = [];
  for (const [i] of ALBUM.titles.entries()) {
    const f = path.join(dir, `t${i}.mp3`);
    await makeTone(f, { seconds: 2, frequency: 300 + 50 * i, format: 'mp3', bitrateKbps: 320 });
    mp3s.push(f);
  }
  const flac = path.join(dir, 'better.flac');
  await makeTone(flac, { seconds: 2, frequency: 300, format: 'flac' });
  const base = `Music\\${ALBUM.artist}\\${ALBUM.album} (2020)`;
  return [
    {
      // The whole album in MP3: the folder chosen. Holds its transfers in its queue until told.
      username: 'folderpeer',
      files: ALBUM.titles.map((t, i) => ({
        remotePath: `@@f\\${base}\\0${i + 1} - ${t}.mp3`,
        localPath: mp3s[i]!,
        bitRate: 320,
      })),
      behaviour: { stuckInQueue: true },
    },
    {
      // Track 1 alone, in FLAC: not an album folder, but a per-track search ranks it first.
      username: 'flacpeer',
      files: [{ remotePath: `@@x\\${base} [FLAC]\\01 - ${ALBUM.titles[0]}.flac`, localPath: flac }],
    },
  ];
}

describe.each(testDialects())('album retry (%s)', (dialect) => {
  let stack: Stack;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const users = await share(mkdtempSync(path.join(tmpdir(), 'soulspot-album-retry-')));
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users,
      env: { SOULSPOT_MAX_RETRIES: '1', SOULSPOT_STALL_TIMEOUT_SECONDS: '600' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  const album = async (id: string) => (await stack.api<AlbumDto>('GET', `/api/albums/${id}`)).body;

  it("a retried track tries the album's folder first again, not the best file of its own search", async () => {
    const res = await stack.api<AlbumDto>('POST', '/api/albums', {
      artist: ALBUM.artist,
      album: ALBUM.album,
      tracks: ALBUM.titles.map((title, i) => ({ title, trackNumber: i + 1 })),
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.id;
    const searched = await waitUntil(
      async () => {
        const a = await album(id);
        return a.folderSearch.state !== 'pending' ? a : null;
      },
      { what: 'the folder search' },
    );
    expect(searched.folder?.username).toBe('folderpeer');
    await waitUntil(async () => (await album(id)).counts.working >= 1, {
      what: 'a track queued at the folder peer',
    });
    const cancelled = await stack.api<AlbumDto>('POST', `/api/albums/${id}/cancel`);
    expect(cancelled.body.status).toBe('cancelled');

    stack.emulator.setBehaviour('folderpeer', { stuckInQueue: false });
    const before = stack.emulator.enqueues.length;
    const retried = await stack.api<AlbumDto>('POST', `/api/albums/${id}/retry`);
    expect(retried.status).toBe(200);
    const done = await waitUntil(
      async () => {
        const a = await album(id);
        return a.status === 'completed' || a.status === 'partial' ? a : null;
      },
      { what: 'the retried album to finish' },
    );
    expect(done.status).toBe('completed');
    expect(done.tracks?.map((t) => [t.trackNumber, t.source?.username, t.fromFolder])).toEqual([
      [1, 'folderpeer', true],
      [2, 'folderpeer', true],
    ]);
    // After the retry, track 1 went to the folder's peer at once: the FLAC peer was never asked.
    const first = stack.emulator.enqueues
      .slice(before)
      .filter((e) => e.filename.includes(ALBUM.titles[0]!));
    expect(first.map((e) => e.username)).toEqual(['folderpeer']);
  });
});
