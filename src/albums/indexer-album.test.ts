// An album without a track list at a release indexer, with real parts on loopback: a Torznab
// server serving the releases and their .torrent files (made by mktorrent), the Torznab adapter
// that searches it and the qBittorrent adapter that reads the .torrent files (reading adds nothing
// to qBittorrent, so no daemon is needed here; album-release.e2e.test.ts runs the whole album).
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTorrent } from '../../test/helpers/daemons/torrent.js';
import { startIndexerServer, type IndexerServer } from '../../test/helpers/indexer-server.js';
import { DEFAULT_RULES } from '../matching/quality-profile-builtins.js';
import { createProviderSet } from '../providers/provider-set.js';
import { createQbittorrentProvider } from '../providers/qbittorrent/qbittorrent.provider.js';
import { qbittorrentSettings } from '../providers/qbittorrent/qbittorrent.settings.js';
import { createTorznabProvider } from '../providers/torznab/torznab.provider.js';
import { torznabSettings } from '../providers/torznab/torznab.settings.js';
import { findReleaseAlbum, releaseFileCandidate } from './indexer-album.js';

const ARTIST = 'Tape Deck';
const ALBUM = 'Side Two';
const KEY = 'album-release-key-0123';
const ALBUM_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC]`;
const SINGLE_TITLE = `${ARTIST} - ${ALBUM} - Rewind (2021) [FLAC]`;
const MAGNET_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC] magnet`;
const GONE_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC] gone`;

let work: string;
let server: IndexerServer;
const logs: string[] = [];
const log = {
  info: (_o: object, m: string) => void logs.push(m),
  warn: (_o: object, m: string) => void logs.push(m),
  error: (_o: object, m: string) => void logs.push(m),
  debug: () => undefined,
};

/** A folder of small fake audio files (only their names and sizes are read) and its torrent. */
async function torrentOf(name: string, files: string[]): Promise<Buffer> {
  const folder = path.join(work, name);
  await mkdir(folder, { recursive: true });
  for (const [i, f] of files.entries())
    await writeFile(path.join(folder, f), Buffer.alloc(2000 + i));
  const made = await makeTorrent(
    folder,
    path.join(work, `${name}.torrent`),
    'http://127.0.0.1:9/announce',
  );
  return made.torrent;
}

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-album-release-unit-')));
  const album = await torrentOf('album', [
    `01 - ${ARTIST} - Play.flac`,
    `02 - ${ARTIST} - Rewind.flac`,
    `03 - ${ARTIST} - Fast Forward.flac`,
    'cover.jpg',
  ]);
  const single = await torrentOf('single', [`01 - ${ARTIST} - Rewind.flac`]);
  const release = { artist: ARTIST, album: ALBUM, categories: [3040] };
  server = await startIndexerServer({
    dialect: 'torznab',
    apiKey: KEY,
    releases: [
      // Ranked first (most seeders), but a magnet link's files are unknown before adding it.
      {
        ...release,
        title: MAGNET_TITLE,
        size: 9_000,
        seeders: 90,
        infohash: 'a'.repeat(40),
        link: `magnet:?xt=urn:btih:${'a'.repeat(40)}`,
      },
      // The indexer lost its .torrent: passed over.
      { ...release, title: GONE_TITLE, size: 9_000, seeders: 80, link: 'gone.torrent' },
      { ...release, title: SINGLE_TITLE, size: 2_000, seeders: 50, link: 'single.torrent' },
      { ...release, title: ALBUM_TITLE, size: 8_000, seeders: 1, link: 'album.torrent' },
      {
        artist: 'Someone Else',
        album: 'Other',
        title: 'Someone Else - Other [FLAC]',
        size: 5_000,
        seeders: 9,
        categories: [3040],
      },
    ],
  });
  server.addFile('album.torrent', album);
  server.addFile('single.torrent', single);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function providers() {
  const indexer = createTorznabProvider(
    torznabSettings({
      id: 'ix',
      url: server.apiUrl,
      apiKey: KEY,
      protocol: 'torrent',
      clientId: 'qbittorrent',
      allowPrivateAddress: true,
      requestTimeoutMs: 5000,
    }),
  );
  const client = createQbittorrentProvider(
    // Never contacted: reading a .torrent needs no daemon.
    qbittorrentSettings({
      url: 'http://127.0.0.1:9',
      username: 'unused',
      password: 'unused',
      allowPrivateIndexerLinks: true,
    }),
  );
  return createProviderSet({ indexers: [indexer], clients: [client] });
}

const deps = () => ({ provider: providers(), timeoutMs: 5000, now: Date.now, log });
const target = (artist = ARTIST, album = ALBUM) => ({ artist, album, tracks: null });

describe('an album without a track list at a release indexer', () => {
  it('takes the release whose files hold the most of the album, its tracks named from its files', async () => {
    logs.length = 0;
    const found = await findReleaseAlbum(target(), DEFAULT_RULES, 'torznab:ix', deps());
    expect(found).not.toBeNull();
    expect(found!.release.filename).toBe(ALBUM_TITLE);
    expect(found!.release.release?.link).toMatch(/album\.torrent$/);
    expect(found!.verdict).toMatchObject({
      provider: 'qbittorrent',
      username: 'ix',
      directory: ALBUM_TITLE,
      fileCount: 4,
      completeLooking: true,
    });
    expect(found!.verdict.tracks.map((t) => [t.trackNumber, t.title])).toEqual([
      [1, 'Play'],
      [2, 'Rewind'],
      [3, 'Fast Forward'],
    ]);
    // The magnet and the lost .torrent, ranked above it, did not use up the releases read: the
    // album's .torrent, ranked fourth, was still read. The other artist's release was not.
    expect(server.downloads.sort()).toEqual(['album.torrent', 'gone.torrent', 'single.torrent']);
    expect(logs).toContain("could not read an album release's files; passing it over");
  });

  it('finds nothing for an album no release has, and throws when the indexer cannot search', async () => {
    expect(
      await findReleaseAlbum(target('Nobody', 'Nothing'), DEFAULT_RULES, 'torznab:ix', deps()),
    ).toBeNull();
    server.fail({ status: 500 }, 1);
    await expect(findReleaseAlbum(target(), DEFAULT_RULES, 'torznab:ix', deps())).rejects.toThrow(
      /500/,
    );
  });

  it('a file of a release is judged as a file under the release title, with its facts', () => {
    const file = releaseFileCandidate(
      {
        provider: 'qbittorrent',
        username: 'ix',
        filename: ALBUM_TITLE,
        size: 8000,
        extension: 'flac',
        bitDepth: 24,
        hasFreeUploadSlot: true,
        queueLength: 0,
        uploadSpeed: 0,
        release: {
          protocol: 'torrent',
          indexer: 'ix',
          guid: 'g',
          title: ALBUM_TITLE,
          link: 'http://127.0.0.1/x.torrent',
          size: 8000,
          categories: [],
        },
      },
      { path: 'Side Two/01 - Play.FLAC', size: 2000 },
    );
    expect(file).toEqual({
      provider: 'qbittorrent',
      username: 'ix',
      filename: `${ALBUM_TITLE}/Side Two/01 - Play.FLAC`,
      size: 2000,
      extension: 'flac',
      bitDepth: 24,
      hasFreeUploadSlot: true,
      queueLength: 0,
      uploadSpeed: 0,
    });
  });
});
