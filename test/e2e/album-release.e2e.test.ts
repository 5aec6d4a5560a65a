// An album's tracks from one release, end to end with real daemons on loopback: a Torznab indexer
// lists the album torrent (3 tracks, 1 seeder) and a single from it (the second track alone, 25
// seeders, so it outranks the album for every track). The first track tries the single, which
// does not hold it (turned away for that track only, not blocked), and takes the album torrent;
// the later tracks follow it into that torrent although the single holds the second track and
// ranks higher. A real qBittorrent fetches them from a second qBittorrent over opentracker.
//
// A second album is asked for with the indexer preferred and a track list: it skips the Soulseek
// folder search (Soulseek has the album too, in a folder that would have been found), and both
// tracks come from the indexer's album torrent.
//
// A third album is asked for without a track list: nobody on Soulseek has it, so its tracks are
// the files of the indexer's album torrent (read from the .torrent before anything is added), and
// each track is fetched from that torrent.
//
// The album torrents are seeded only once all their tracks have joined them: a file added to a
// torrent that has finished its others waits about a minute for libtorrent to dial the seed
// again (see providers-fallback.e2e.test.ts), and this way the three files come in one go.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlbumDto } from '../../src/albums/albums.dto.js';
import type { BlocklistEntryDto } from '../../src/blocklist/blocklist.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startQbittorrent, seedTorrent, type QbtDaemon } from '../helpers/daemons/qbittorrent.js';
import { startTracker, type Tracker } from '../helpers/daemons/tracker.js';
import { makeAlbum, makeTorrent, type MadeTorrent } from '../helpers/daemons/torrent.js';
import { makeTone } from '../helpers/audio.js';
import { startIndexerServer, type IndexerServer } from '../helpers/indexer-server.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const ARTIST = 'Release Follower';
const ALBUM = 'One Release';
const TITLES = ['First Light', 'Second Wind', 'Third Rail'];
const ALBUM_TITLE = `${ARTIST} - ${ALBUM} (2024) [FLAC]`;
const SINGLE_TITLE = `${ARTIST} - ${ALBUM} - Second Wind (2024) [FLAC]`;
const INDEXER_KEY = 'indexer-key-0123456789';
/** The album asked for with the indexer preferred. */
const ARTIST2 = 'Straight Taker';
const ALBUM2 = 'Never Browsed';
const TITLES2 = ['Only Path', 'Same Road'];
const ALBUM2_TITLE = `${ARTIST2} - ${ALBUM2} (2023) [FLAC]`;
/** The album asked for without a track list. */
const ARTIST3 = 'List Less';
const ALBUM3 = 'Files Tell';
const TITLES3 = ['Opening Move', 'Middle Game', 'End Game'];
const ALBUM3_TITLE = `${ARTIST3} - ${ALBUM3} (2022) [FLAC]`;

let work: string;
let seedDir: string;
let tracker: Tracker;
let leecher: QbtDaemon;
let seeder: QbtDaemon;
let indexer: IndexerServer;
let stack: Stack;
let albumFolder: string;
let albumTorrent: MadeTorrent;
let singleTorrent: MadeTorrent;
let album2Folder: string;
let album2Torrent: MadeTorrent;
let album3Folder: string;
let album3Torrent: MadeTorrent;

const sha = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-album-release-')));
  seedDir = path.join(work, 'seed');
  const singleDir = path.join(work, 'seed-single');
  const dl = path.join(work, 'qbt-downloads');
  await mkdir(path.join(work, 'tracker'), { recursive: true });
  await mkdir(dl, { recursive: true });
  [tracker, leecher, seeder] = await Promise.all([
    startTracker(path.join(work, 'tracker')),
    startQbittorrent(path.join(work, 'A')),
    startQbittorrent(path.join(work, 'B'), { auth: false }),
  ]);
  albumFolder = await makeAlbum(seedDir, ALBUM, ARTIST, TITLES, 3);
  const singleFolder = await makeAlbum(singleDir, `${ALBUM} - Second Wind`, ARTIST, [TITLES[1]!]);
  albumTorrent = await makeTorrent(albumFolder, path.join(work, 'album.torrent'), tracker.announce);
  singleTorrent = await makeTorrent(
    singleFolder,
    path.join(work, 'single.torrent'),
    tracker.announce,
  );
  album2Folder = await makeAlbum(seedDir, ALBUM2, ARTIST2, TITLES2, 3);
  album2Torrent = await makeTorrent(
    album2Folder,
    path.join(work, 'album2.torrent'),
    tracker.announce,
  );
  album3Folder = await makeAlbum(seedDir, ALBUM3, ARTIST3, TITLES3, 3);
  // Plain names ("01 - Title.flac"): the artist is only in the release title.
  for (const [i, title] of TITLES3.entries()) {
    await rename(
      path.join(album3Folder, `0${i + 1} - ${ARTIST3} - ${title}.flac`),
      path.join(album3Folder, `0${i + 1} - ${title}.flac`),
    );
  }
  album3Torrent = await makeTorrent(
    album3Folder,
    path.join(work, 'album3.torrent'),
    tracker.announce,
  );
  // Soulseek's copy of the second album: other tones, so a file filed from it would not match.
  const soulseekCopy = path.join(work, 'soulseek');
  await mkdir(soulseekCopy, { recursive: true });
  for (const [i, title] of TITLES2.entries()) {
    const file = path.join(soulseekCopy, `0${i + 1} - ${ARTIST2} - ${title}.flac`);
    await makeTone(file, { seconds: 3, format: 'flac', frequency: 700 + 90 * i });
  }
  await tracker.allow(albumTorrent.infoHash);
  await tracker.allow(singleTorrent.infoHash);
  await tracker.allow(album2Torrent.infoHash);
  await tracker.allow(album3Torrent.infoHash);
  // The single is seeded from the start: a track that took it would be filed from it.
  await seedTorrent(seeder, singleTorrent.torrent, singleDir, singleTorrent.infoHash);

  indexer = await startIndexerServer({
    dialect: 'torznab',
    apiKey: INDEXER_KEY,
    releases: [
      {
        title: SINGLE_TITLE,
        artist: ARTIST,
        album: ALBUM,
        size: 400_000,
        seeders: 25,
        peers: 3,
        infohash: singleTorrent.infoHash,
        categories: [3040],
        link: 'single.torrent',
      },
      {
        title: ALBUM_TITLE,
        artist: ARTIST,
        album: ALBUM,
        size: 1_200_000,
        seeders: 1,
        peers: 0,
        infohash: albumTorrent.infoHash,
        categories: [3040],
        link: 'album.torrent',
      },
      {
        title: ALBUM2_TITLE,
        artist: ARTIST2,
        album: ALBUM2,
        size: 800_000,
        seeders: 1,
        peers: 0,
        infohash: album2Torrent.infoHash,
        categories: [3040],
        link: 'album2.torrent',
      },
      {
        title: ALBUM3_TITLE,
        artist: ARTIST3,
        album: ALBUM3,
        size: 1_200_000,
        seeders: 1,
        peers: 0,
        infohash: album3Torrent.infoHash,
        categories: [3040],
        link: 'album3.torrent',
      },
    ],
  });
  indexer.addFile('single.torrent', singleTorrent.torrent);
  indexer.addFile('album.torrent', albumTorrent.torrent);
  indexer.addFile('album2.torrent', album2Torrent.torrent);
  indexer.addFile('album3.torrent', album3Torrent.torrent);

  stack = await startStack({
    // Nobody on Soulseek has the first album; a peer has the second, in one folder.
    users: [
      {
        username: 'someone',
        files: TITLES2.map((title, i) => {
          const name = `0${i + 1} - ${ARTIST2} - ${title}.flac`;
          return {
            remotePath: `@@s\\Music\\${ARTIST2}\\${ALBUM2}\\${name}`,
            localPath: path.join(soulseekCopy, name),
          };
        }),
      },
    ],
    env: {
      // One track at a time until the first has picked (raised below).
      SOULSPOT_MAX_CONCURRENT: '1',
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

async function sid(): Promise<string> {
  const r = await fetch(`${leecher.url}/api/v2/auth/login`, {
    method: 'POST',
    body: new URLSearchParams({ username: leecher.username, password: leecher.password }),
  });
  return /SID=[^;]+/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
}

async function leecherApi<T>(route: string, body?: URLSearchParams): Promise<T> {
  const r = await fetch(`${leecher.url}/api/v2/${route}`, {
    method: body ? 'POST' : 'GET',
    headers: { Cookie: await sid() },
    ...(body ? { body } : {}),
  });
  expect(r.status, route).toBe(200);
  const text = await r.text();
  return (text.startsWith('[') || text.startsWith('{') ? JSON.parse(text) : text) as T;
}

class TrackFailed extends Error {}

const track = async (id: string) =>
  (await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;

/** Waits until the track's current source is the album torrent, added at qBittorrent. */
async function onAlbumTorrent(id: string, release = ALBUM_TITLE): Promise<DownloadDto> {
  return waitUntil(
    async () => {
      const d = await track(id);
      if (d.status === 'failed')
        throw new TrackFailed(`${d.title}: ${d.errorCode} ${d.errorMessage}`);
      return d.status === 'downloading' && d.source?.filename === release ? d : undefined;
    },
    {
      what: `${id} fetching from the album torrent`,
      timeoutMs: 60_000,
      intervalMs: 200,
      stopOn: TrackFailed,
    },
  );
}

describe(
  'an album’s tracks from one release (real qBittorrent, Torznab)',
  { timeout: 240_000 },
  () => {
    it('the tracks follow the first track’s release; a release without a track is not blocked', async () => {
      const created = await stack.api<AlbumDto>('POST', '/api/albums', {
        artist: ARTIST,
        album: ALBUM,
        tracks: TITLES.map((title, i) => ({ title, trackNumber: i + 1, durationSeconds: 3 })),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const ids = created.body.tracks!.map((t) => t.downloadId);

      // The first track: the single ranks first, does not hold it, and the album torrent is next.
      const first = await onAlbumTorrent(ids[0]!);
      expect(first.attempts.map((a) => [a.filename, a.outcome, a.errorCode])).toEqual([
        [SINGLE_TITLE, 'failed', 'track_not_in_release'],
        [ALBUM_TITLE, 'enqueued', null],
      ]);
      expect(first.attempts[0]!.errorMessage).toMatch(/None of the 1 files of the torrent/);

      const raised = await stack.api('PATCH', '/api/settings', { maxConcurrent: 3 });
      expect(raised.status).toBe(200);
      // The later ones take the album torrent straight away, the single's 25 seeders and its
      // holding the second track notwithstanding.
      for (const id of ids.slice(1)) {
        const later = await onAlbumTorrent(id);
        expect(later.attempts.map((a) => a.filename)).toEqual([ALBUM_TITLE]);
      }

      // Now the album torrent gets its seeder; the three files come in together.
      await seedTorrent(seeder, albumTorrent.torrent, seedDir, albumTorrent.infoHash);
      await leecherApi(
        'torrents/addPeers',
        new URLSearchParams({ hashes: albumTorrent.infoHash, peers: `127.0.0.1:${seeder.btPort}` }),
      );
      const done = await waitUntil(
        async () => {
          const a = (await stack.api<AlbumDto>('GET', `/api/albums/${created.body.id}`)).body;
          return a.status === 'completed' || a.status === 'partial' ? a : undefined;
        },
        { what: 'the album to complete', timeoutMs: 120_000, intervalMs: 250 },
      );
      expect(done.status).toBe('completed');

      // Every track filed from the album torrent, byte for byte (tags are off in the test stack).
      for (const [i, id] of ids.entries()) {
        const d = await track(id);
        expect(d.source?.filename).toBe(ALBUM_TITLE);
        expect(await sha(d.libraryPath!)).toBe(
          await sha(path.join(albumFolder, `0${i + 1} - ${ARTIST} - ${TITLES[i]}.flac`)),
        );
      }
      // qBittorrent holds one torrent of SoulSpot's, the album's, with its three files selected;
      // the single was removed again after the first track found it lacking.
      const torrents = await leecherApi<Array<{ hash: string }>>('torrents/info?category=soulspot');
      expect(torrents.map((t) => t.hash)).toEqual([albumTorrent.infoHash]);
      const files = await leecherApi<Array<{ priority: number }>>(
        `torrents/files?hash=${albumTorrent.infoHash}`,
      );
      expect(files.map((f) => f.priority)).toEqual([1, 1, 1]);
      // The single was not blocked: it holds the second track and stays open to it.
      const blocklist = await stack.api<{ items: BlocklistEntryDto[] }>('GET', '/api/blocklist');
      expect(blocklist.body.items).toEqual([]);
    });

    it('an album with the indexer preferred skips the folder search and takes every track from one torrent', async () => {
      const browses = () =>
        Object.entries(stack.emulator.requestCounts)
          .filter(([route]) => /\/users\/.+\/(browse|directory)/.test(route))
          .reduce((sum, [, n]) => sum + n, 0);
      const browsedBefore = browses();
      const raised = await stack.api('PATCH', '/api/settings', { maxConcurrent: 3 });
      expect(raised.status).toBe(200);
      const created = await stack.api<AlbumDto>('POST', '/api/albums', {
        artist: ARTIST2,
        album: ALBUM2,
        tracks: TITLES2.map((title, i) => ({ title, trackNumber: i + 1, durationSeconds: 3 })),
        provider: 'torznab:local',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      // The tracks are due at once: no Soulseek folder search to wait for.
      expect(created.body.folderSearch.state).toBe('done');
      const ids = created.body.tracks!.map((t) => t.downloadId);
      // Both tracks join the album torrent before it has a seeder, so its files come in one go.
      for (const id of ids) {
        const d = await onAlbumTorrent(id, ALBUM2_TITLE);
        expect(d.attempts.map((a) => a.filename)).toEqual([ALBUM2_TITLE]);
      }
      await seedTorrent(seeder, album2Torrent.torrent, seedDir, album2Torrent.infoHash);
      await leecherApi(
        'torrents/addPeers',
        new URLSearchParams({
          hashes: album2Torrent.infoHash,
          peers: `127.0.0.1:${seeder.btPort}`,
        }),
      );
      const done = await waitUntil(
        async () => {
          const a = (await stack.api<AlbumDto>('GET', `/api/albums/${created.body.id}`)).body;
          return a.status === 'completed' || a.status === 'partial' ? a : undefined;
        },
        { what: 'the second album to complete', timeoutMs: 120_000, intervalMs: 250 },
      );
      expect(done.status).toBe('completed');
      expect(done.folder).toBeNull();
      for (const [i, id] of ids.entries()) {
        const d = await track(id);
        expect(d.source?.filename).toBe(ALBUM2_TITLE);
        expect(await sha(d.libraryPath!)).toBe(
          await sha(path.join(album2Folder, `0${i + 1} - ${ARTIST2} - ${TITLES2[i]}.flac`)),
        );
      }
      // Soulseek was never asked for the album's folder, nor for its tracks, nor browsed, and
      // nothing was fetched from the peer that has the album.
      const asked = stack.emulator.searchLog.filter((x) =>
        x.searchText.toLowerCase().includes(ARTIST2.toLowerCase()),
      );
      expect(asked).toEqual([]);
      expect(browses()).toBe(browsedBefore);
      expect(stack.emulator.enqueues).toEqual([]);
      const files = await leecherApi<Array<{ priority: number }>>(
        `torrents/files?hash=${album2Torrent.infoHash}`,
      );
      expect(files.map((f) => f.priority)).toEqual([1, 1]);
    });

    it('an album without a track list takes its tracks from the files of an indexer’s album torrent', async () => {
      const raised = await stack.api('PATCH', '/api/settings', { maxConcurrent: 3 });
      expect(raised.status).toBe(200);
      const created = await stack.api<AlbumDto>('POST', '/api/albums', {
        artist: ARTIST3,
        album: ALBUM3,
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body.status).toBe('searching');
      // Soulseek has no folder of it; the indexer's torrent lists the three tracks.
      const found = await waitUntil(
        async () => {
          const a = (await stack.api<AlbumDto>('GET', `/api/albums/${created.body.id}`)).body;
          if (a.folderSearch.state === 'failed')
            throw new TrackFailed(String(a.folderSearch.error));
          return a.folderSearch.state === 'done' ? a : undefined;
        },
        {
          what: 'the album’s release search',
          timeoutMs: 60_000,
          intervalMs: 200,
          stopOn: TrackFailed,
        },
      );
      expect(found.folder).toEqual({
        provider: 'qbittorrent',
        username: 'local',
        // The release title, then the torrent's own folder.
        directory: `${ALBUM3_TITLE}/${ALBUM3}`,
        fileCount: 3,
      });
      expect(found.tracks!.map((t) => [t.trackNumber, t.title])).toEqual(
        TITLES3.map((title, i) => [i + 1, title]),
      );
      // The artist was searched on Soulseek first (the album's order), and nothing was browsed there.
      expect(
        stack.emulator.searchLog.some((x) => x.searchText.toLowerCase().includes('list less')),
      ).toBe(true);
      const ids = found.tracks!.map((t) => t.downloadId);
      for (const id of ids) {
        const d = await onAlbumTorrent(id, ALBUM3_TITLE);
        // Straight to the release it was made from: no search of its own first.
        expect(d.attempts.map((a) => a.filename)).toEqual([ALBUM3_TITLE]);
      }
      await seedTorrent(seeder, album3Torrent.torrent, seedDir, album3Torrent.infoHash);
      await leecherApi(
        'torrents/addPeers',
        new URLSearchParams({
          hashes: album3Torrent.infoHash,
          peers: `127.0.0.1:${seeder.btPort}`,
        }),
      );
      const done = await waitUntil(
        async () => {
          const a = (await stack.api<AlbumDto>('GET', `/api/albums/${created.body.id}`)).body;
          return a.status === 'completed' || a.status === 'partial' ? a : undefined;
        },
        { what: 'the third album to complete', timeoutMs: 120_000, intervalMs: 250 },
      );
      expect(done.status).toBe('completed');
      expect(done.tracks!.every((t) => t.fromFolder)).toBe(true);
      for (const [i, id] of ids.entries()) {
        const d = await track(id);
        expect(d.source?.filename).toBe(ALBUM3_TITLE);
        expect(await sha(d.libraryPath!)).toBe(
          await sha(path.join(album3Folder, `0${i + 1} - ${TITLES3[i]}.flac`)),
        );
      }
      const files = await leecherApi<Array<{ priority: number }>>(
        `torrents/files?hash=${album3Torrent.infoHash}`,
      );
      expect(files.map((f) => f.priority)).toEqual([1, 1, 1]);
    });

    it('an album without a track list nobody has fails naming where it was looked for, in the album’s order', async () => {
      const failed = async (body: object) => {
        const created = await stack.api<AlbumDto>('POST', '/api/albums', body);
        expect(created.status, JSON.stringify(created.body)).toBe(201);
        return waitUntil(
          async () => {
            const a = (await stack.api<AlbumDto>('GET', `/api/albums/${created.body.id}`)).body;
            return a.folderSearch.state === 'failed' ? a : undefined;
          },
          { what: 'the album search to fail', timeoutMs: 60_000, intervalMs: 200 },
        );
      };
      const plain = await failed({ artist: 'Nobody Anywhere', album: 'Not Released' });
      expect(plain.folderSearch.error).toBe(
        'No folder with "Nobody Anywhere - Not Released" was found at slskd, torznab:local; send a track list to search track by track',
      );
      // The indexer the request prefers is asked first.
      const preferred = await failed({
        artist: 'Nobody Anywhere',
        album: 'Also Not',
        provider: 'torznab:local',
      });
      expect(preferred.folderSearch.error).toBe(
        'No folder with "Nobody Anywhere - Also Not" was found at torznab:local, slskd; send a track list to search track by track',
      );
      expect(preferred.tracks ?? []).toEqual([]);
    });
  },
);
