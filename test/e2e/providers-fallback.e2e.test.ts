// Fallback across providers, end to end with real daemons on loopback (issue 11): a track nobody
// shares on Soulseek (the slskd emulator answers nothing) is found on the next provider in the
// order, a local Torznab indexer, fetched as a torrent by a real qBittorrent from a second
// qBittorrent seeding over opentracker, and filed; and with slskd down, the next provider searches
// instead of the download waiting. Each daemon starts once for the file.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startQbittorrent, seedTorrent, type QbtDaemon } from '../helpers/daemons/qbittorrent.js';
import { startTracker, type Tracker } from '../helpers/daemons/tracker.js';
import { makeAlbum, makeTorrent } from '../helpers/daemons/torrent.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ARTIST = 'Fallback Tester';
const ALBUM = 'Only On Torrents';
// A second album for the second case: a new file of a torrent already seeding takes libtorrent
// about a minute to fetch on loopback (it waits before reconnecting to a peer it dropped).
const ALBUM_2 = 'Down And Out';
const TITLES = ['First Light', 'Second Wind', 'Third Rail'];
const INDEXER_KEY = 'indexer-key-0123456789';

let work: string;
let tracker: Tracker;
let leecher: QbtDaemon;
let seeder: QbtDaemon;
let indexer: IndexerServer;
let stack: Stack;
let albumFolder: string;
let albumFolder2: string;

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-fallback-')));
  const seed = path.join(work, 'seed');
  const dl = path.join(work, 'qbt-downloads');
  await mkdir(path.join(work, 'tracker'), { recursive: true });
  await mkdir(dl, { recursive: true });
  [tracker, leecher, seeder] = await Promise.all([
    startTracker(path.join(work, 'tracker')),
    startQbittorrent(path.join(work, 'A')),
    startQbittorrent(path.join(work, 'B'), { auth: false }),
  ]);
  albumFolder = await makeAlbum(seed, ALBUM, ARTIST, TITLES, 3);
  albumFolder2 = await makeAlbum(seed, ALBUM_2, ARTIST, TITLES, 3);
  const torrent = await makeTorrent(albumFolder, path.join(work, 'a.torrent'), tracker.announce);
  const torrent2 = await makeTorrent(albumFolder2, path.join(work, 'b.torrent'), tracker.announce);
  for (const t of [torrent, torrent2]) {
    await tracker.allow(t.infoHash);
    await seedTorrent(seeder, t.torrent, seed, t.infoHash);
  }

  indexer = await startIndexerServer({
    dialect: 'torznab',
    apiKey: INDEXER_KEY,
    releases: [
      {
        title: `${ARTIST} - ${ALBUM} (2024) [FLAC]`,
        artist: ARTIST,
        album: ALBUM,
        size: torrent.torrent.length * 1000,
        seeders: 1,
        peers: 0,
        infohash: torrent.infoHash,
        categories: [3040],
        link: 'album.torrent',
      },
      {
        title: `${ARTIST} - ${ALBUM_2} (2023) [FLAC]`,
        artist: ARTIST,
        album: ALBUM_2,
        size: torrent2.torrent.length * 1000,
        seeders: 1,
        infohash: torrent2.infoHash,
        categories: [3040],
        link: 'album2.torrent',
      },
    ],
  });
  indexer.addFile('album.torrent', torrent.torrent);
  indexer.addFile('album2.torrent', torrent2.torrent);

  stack = await startStack({
    // Nobody on Soulseek has the album.
    users: [{ username: 'someone', files: [] }],
    env: {
      SOULSPOT_INDEXERS: JSON.stringify([
        {
          id: 'local',
          url: indexer.apiUrl,
          apiKey: INDEXER_KEY,
          protocol: 'torrent',
          clientId: 'qbittorrent',
          allowPrivateAddress: true,
        },
      ]),
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        {
          type: 'qbittorrent',
          url: leecher.url,
          username: leecher.username,
          password: leecher.password,
          savePath: dl,
          downloadsDir: dl,
          allowPrivateIndexerLinks: true,
        },
      ]),
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.close();
  await Promise.allSettled([leecher?.stop(), seeder?.stop(), tracker?.stop(), indexer?.close()]);
  if (work) await rm(work, { recursive: true, force: true });
});

async function fetchOne(
  title: string,
  album = ALBUM,
): Promise<{ done: DownloadDto; candidates: CandidatesDto }> {
  const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
    artist: ARTIST,
    title,
    album,
    durationSeconds: 3,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.id;
  const items = await stack.waitFor(
    (all) => all.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
    120_000,
  );
  const done = items.find((d) => d.id === id)!;
  const candidates = (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`))
    .body;
  return { done, candidates };
}

describe(
  'fallback across providers, real qBittorrent and a Torznab indexer',
  { timeout: 200_000 },
  () => {
    it('a track absent on Soulseek is found on the next provider, fetched as a torrent and filed', async () => {
      const { done, candidates } = await fetchOne('Second Wind');
      expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
      // The wanted track of the album torrent, byte for byte (tags are off in the test stack).
      expect(await sha(done.libraryPath!)).toBe(
        await sha(path.join(albumFolder, `02 - ${ARTIST} - Second Wind.flac`)),
      );
      // What happened on the way: slskd searched first and had nothing; the indexer's release won.
      expect(candidates.provider).toBe('torznab:local');
      expect(candidates.earlier.map((e) => e.provider)).toEqual(['slskd']);
      expect(candidates.earlier[0]!.reason).toMatch(/^slskd: nothing found/);
      expect(candidates.ranked[0]!.release).toMatchObject({
        protocol: 'torrent',
        indexer: 'local',
        title: `${ARTIST} - ${ALBUM} (2024) [FLAC]`,
        seeders: 1,
      });
      // The release link (indexers put their API key in it) is never sent to API clients.
      expect(JSON.stringify(candidates)).not.toContain('album.torrent');
      expect(indexer.count('music')).toBeGreaterThan(0);
      expect(stack.emulator.searchLog.length).toBeGreaterThan(0);
    });

    it('with slskd down, the next provider searches instead of the download waiting', async () => {
      await stack.emulator.stop();
      try {
        const { done, candidates } = await fetchOne('Third Rail', ALBUM_2);
        expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
        expect(await sha(done.libraryPath!)).toBe(
          await sha(path.join(albumFolder2, `03 - ${ARTIST} - Third Rail.flac`)),
        );
        expect(candidates.provider).toBe('torznab:local');
        expect(candidates.earlier.map((e) => e.provider)).toEqual(['slskd']);
        expect(candidates.earlier[0]!.reason).toMatch(/^slskd: /);
      } finally {
        await stack.emulator.start();
      }
    });
  },
);
