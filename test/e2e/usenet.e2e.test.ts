// Usenet end to end with real daemons on loopback (issue 11): a private INN holding yEnc-posted
// FLAC tones, a local Newznab indexer listing NZBs of them, a real NZBGet fetching them. A track
// nobody shares on Soulseek is found on the indexer, downloaded by NZBGet and filed byte for
// byte; and when the best release turns out to miss an article, NZBGet's failure sends the
// download on to the next release, which is filed. Each daemon starts once for the file.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { postAlbum, type UsenetAlbum } from '../helpers/daemons/nzb.js';
import { startInn, startNzbget, type Inn, type NzbgetDaemon } from '../helpers/daemons/usenet.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ARTIST = 'Usenet Tester';
const ALBUM = 'Posted In Parts';
// The second case's own album: a failed release is blocked for the source it came from, so one
// album's releases would also be tried, and blocked, for the first case's track.
const ALBUM_2 = 'One Article Short';
const INDEXER_KEY = 'newznab-key-0123456789';
const DAY = 24 * 3600 * 1000;

let inn: Inn;
let nzbget: NzbgetDaemon;
let album: UsenetAlbum;
let album2: UsenetAlbum;
let indexer: IndexerServer;
let stack: Stack;

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  inn = await startInn();
  [album, album2, nzbget] = await Promise.all([
    postAlbum(inn, { artist: ARTIST, album: ALBUM }),
    postAlbum(inn, { artist: ARTIST, album: ALBUM_2 }),
    startNzbget({ nntpPort: inn.port }),
  ]);
  album.nzbs.put('album.nzb', album.whole());
  // Track 3's best-looking release (a day old) misses its last article; a much older release of
  // the whole album (ranked lower for its age) is intact.
  album2.nzbs.put('broken.nzb', album2.broken(2));
  album2.nzbs.put('whole.nzb', album2.whole());
  indexer = await startIndexerServer({
    dialect: 'newznab',
    apiKey: INDEXER_KEY,
    releases: [
      {
        title: `${ARTIST} - ${ALBUM} (2025) [FLAC]`,
        guid: 'album',
        artist: ARTIST,
        album: ALBUM,
        size: 3 * 400_000,
        publishedAt: Date.now() - 10 * DAY,
        categories: [3040],
        link: album.nzbs.url('album.nzb'),
      },
      {
        title: `${ARTIST} - ${ALBUM_2} (2024) [FLAC]`,
        guid: 'whole',
        artist: ARTIST,
        album: ALBUM_2,
        size: 3 * 400_000,
        grabs: 3,
        publishedAt: Date.now() - 1000 * DAY,
        categories: [3040],
        link: album2.nzbs.url('whole.nzb'),
      },
      {
        title: `${ARTIST} - ${ALBUM_2} [FLAC]`,
        guid: 'broken',
        artist: ARTIST,
        album: ALBUM_2,
        size: 3 * 400_000,
        grabs: 90,
        publishedAt: Date.now() - DAY,
        categories: [3040],
        link: album2.nzbs.url('broken.nzb'),
      },
    ],
  });
  stack = await startStack({
    // Nobody on Soulseek has the album.
    users: [{ username: 'someone', files: [] }],
    env: {
      SOULSPOT_INDEXERS: JSON.stringify([
        {
          id: 'news',
          url: indexer.apiUrl,
          apiKey: INDEXER_KEY,
          protocol: 'usenet',
          clientId: 'nzbget',
          allowPrivateAddress: true,
        },
      ]),
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        {
          type: 'nzbget',
          url: nzbget.url,
          username: nzbget.username,
          password: nzbget.password,
          downloadsDir: nzbget.destDir,
          allowPrivateIndexerLinks: true,
        },
      ]),
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await Promise.allSettled([nzbget?.stop(), indexer?.close(), album?.close(), album2?.close()]);
  await inn?.stop();
});

async function fetchOne(
  title: string,
  albumName: string,
): Promise<{ done: DownloadDto; candidates: CandidatesDto }> {
  const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
    artist: ARTIST,
    title,
    album: albumName,
    durationSeconds: 4,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id;
  const items = await stack.waitFor(
    (all) => all.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
    150_000,
  );
  const done = items.find((d) => d.id === id)!;
  const candidates = (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`))
    .body;
  return { done, candidates };
}

describe('Usenet through NZBGet and a Newznab indexer', { timeout: 200_000 }, () => {
  it('a track absent on Soulseek is downloaded by NZBGet from the indexer and filed', async () => {
    const { done, candidates } = await fetchOne('Alpha', ALBUM);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(sha(await readFile(done.libraryPath!))).toBe(sha(album.tracks[0]!.data));
    expect(candidates.provider).toBe('torznab:news');
    expect(candidates.earlier.map((e) => e.provider)).toEqual(['slskd']);
    expect(done.source).toMatchObject({ provider: 'nzbget' });
    expect(done.attempts).toHaveLength(1);
    expect(indexer.count('music')).toBeGreaterThan(0);
  });

  it('a release missing an article fails at NZBGet and the next release is fetched and filed', async () => {
    const { done, candidates } = await fetchOne('Gamma', ALBUM_2);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(sha(await readFile(done.libraryPath!))).toBe(sha(album2.tracks[2]!.data));
    const tried = done.attempts.map((a) => [a.filename, a.outcome, a.errorCode]);
    expect(tried, JSON.stringify(done.attempts)).toHaveLength(2);
    expect(tried[0]).toEqual([`${ARTIST} - ${ALBUM_2} [FLAC]`, 'failed', 'file_not_found']);
    expect(tried[1]).toEqual([`${ARTIST} - ${ALBUM_2} (2024) [FLAC]`, 'succeeded', null]);
    expect(done.attempts[0]!.errorMessage).toMatch(/articles/i);
    // One search ranked both; the failed release was not asked for again.
    expect(candidates.ranked.map((r) => r.filename)).toEqual([
      `${ARTIST} - ${ALBUM_2} [FLAC]`,
      `${ARTIST} - ${ALBUM_2} (2024) [FLAC]`,
    ]);
    expect(album2.nzbs.hits.get('broken.nzb')).toBe(1);
  });
});
