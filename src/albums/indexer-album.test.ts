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
import { createEventBus } from '../events/event-bus.js';
import { withCircuitBreaker } from '../providers/circuit-breaker.js';
import { createProviderSet } from '../providers/provider-set.js';
import { clientOnly } from '../providers/single-role.js';
import { createQbittorrentProvider } from '../providers/qbittorrent/qbittorrent.provider.js';
import { qbittorrentSettings } from '../providers/qbittorrent/qbittorrent.settings.js';
import { createTorznabProvider } from '../providers/torznab/torznab.provider.js';
import { torznabSettings } from '../providers/torznab/torznab.settings.js';
import { judgeFolder } from './folder-choice.js';
import {
  findReleaseAlbum,
  releaseFileCandidate,
  releaseFolders,
  usableEntries,
} from './indexer-album.js';

const ARTIST = 'Tape Deck';
const ALBUM = 'Side Two';
const KEY = 'album-release-key-0123';
const ALBUM_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC]`;
const SINGLE_TITLE = `${ARTIST} - ${ALBUM} - Rewind (2021) [FLAC]`;
const MAGNET_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC] magnet`;
const GONE_TITLE = `${ARTIST} - ${ALBUM} (2021) [FLAC] gone`;
const DISCS_TITLE = 'Two Discs - Double (2020) [FLAC]';
const PACK_TITLE = 'Pack Rat - Discography (First, Middle, Last) [FLAC]';
const TWIN_TITLE = 'Twin Title - Same (2019) [FLAC]';

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
  for (const [i, f] of files.entries()) {
    await mkdir(path.dirname(path.join(folder, f)), { recursive: true });
    await writeFile(path.join(folder, f), Buffer.alloc(2000 + i));
  }
  const made = await makeTorrent(
    folder,
    path.join(work, `${name}.torrent`),
    'http://127.0.0.1:9/announce',
  );
  return made.torrent;
}

beforeAll(async () => {
  work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-album-release-unit-')));
  // Plain names: the artist is only in the release title.
  const album = await torrentOf('album', [
    '01 - Play.flac',
    '02 - Rewind.flac',
    '03 - Fast Forward.flac',
    'cover.jpg',
  ]);
  const discs = await torrentOf('Double', [
    'CD1/01 - Intro.flac',
    'CD1/02 - Song.flac',
    'CD2/01 - Intro.flac',
    'CD2/02 - Other.flac',
  ]);
  const pack = await torrentOf('pack', [
    'First/01 - A.flac',
    'First/02 - B.flac',
    'First/03 - C.flac',
    'Middle/01 - D.flac',
    'Middle/02 - E.flac',
    'Last/01 - F.flac',
  ]);
  const twinSingle = await torrentOf('twin-single', ['01 - One.flac']);
  const twinAlbum = await torrentOf('twin-album', [
    '01 - One.flac',
    '02 - Two.flac',
    '03 - Three.flac',
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
        artist: 'Two Discs',
        album: 'Double',
        title: DISCS_TITLE,
        size: 8_000,
        seeders: 3,
        categories: [3040],
        link: 'discs.torrent',
      },
      {
        artist: 'Pack Rat',
        album: 'Middle',
        title: PACK_TITLE,
        size: 12_000,
        seeders: 3,
        categories: [3040],
        link: 'pack.torrent',
      },
      // Two releases of one title (two uploads behind an aggregator): the single ranks first.
      {
        artist: 'Twin Title',
        album: 'Same',
        title: TWIN_TITLE,
        guid: 'twin-1',
        size: 2_000,
        seeders: 40,
        categories: [3040],
        link: 'twin-single.torrent',
      },
      {
        artist: 'Twin Title',
        album: 'Same',
        title: TWIN_TITLE,
        guid: 'twin-2',
        size: 6_000,
        seeders: 2,
        categories: [3040],
        link: 'twin-album.torrent',
      },
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
  server.addFile('discs.torrent', discs);
  server.addFile('pack.torrent', pack);
  server.addFile('twin-single.torrent', twinSingle);
  server.addFile('twin-album.torrent', twinAlbum);
  server.addFile('single.torrent', single);
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

function providers(guard = false) {
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
  const guarded = guard
    ? withCircuitBreaker(clientOnly(client), {
        threshold: 1,
        halfOpenAfterMs: 60_000,
        bus: createEventBus(),
      })
    : client;
  return createProviderSet({ indexers: [indexer], clients: [guarded] });
}

const deps = () => ({ provider: providers(), timeoutMs: 5000, now: Date.now, log });
const target = (artist = ARTIST, album = ALBUM) => ({ artist, album, tracks: null });

describe('an album without a track list at a release indexer', () => {
  it('takes the release whose files hold the most of the album, its tracks named from its files', async () => {
    logs.length = 0;
    const found = await findReleaseAlbum(target(), DEFAULT_RULES, 'torznab:ix', deps());
    expect(found).toMatchObject({
      provider: 'qbittorrent',
      username: 'ix',
      directory: `${ALBUM_TITLE}/album`,
      fileCount: 3,
      completeLooking: true,
    });
    expect(found!.tracks.map((t) => [t.trackNumber, t.title])).toEqual([
      [1, 'Play'],
      [2, 'Rewind'],
      [3, 'Fast Forward'],
    ]);
    // Each track is the whole release with its own file named, as the .torrent names it.
    const pinned = found!.tracks.map((t) => t.candidate!);
    expect(pinned.map((c) => c.filename)).toEqual([ALBUM_TITLE, ALBUM_TITLE, ALBUM_TITLE]);
    expect(pinned.map((c) => c.release?.link)).toEqual(
      pinned.map(() => expect.stringMatching(/\/album\.torrent$/)),
    );
    expect(pinned.map((c) => c.release?.file)).toEqual([
      'album/01 - Play.flac',
      'album/02 - Rewind.flac',
      'album/03 - Fast Forward.flac',
    ]);
    // The magnet and the lost .torrent, ranked above it, did not use up the releases read: the
    // album's .torrent, ranked fourth, was still read. The other artist's release was not.
    expect(server.downloads.sort()).toEqual(['album.torrent', 'gone.torrent', 'single.torrent']);
    expect(logs).toContain("could not read an album release's files; passing it over");
  });

  it('a release of two discs in CD1/CD2 folders: the discs numbered, a title on both discs two tracks', async () => {
    const found = await findReleaseAlbum(
      target('Two Discs', 'Double'),
      DEFAULT_RULES,
      'torznab:ix',
      deps(),
    );
    expect(found!.directory).toBe(`${DISCS_TITLE}/Double`);
    expect(
      found!.tracks.map((t) => [t.discNumber, t.trackNumber, t.title, t.candidate?.release?.file]),
    ).toEqual([
      [1, 1, 'Intro', 'Double/CD1/01 - Intro.flac'],
      [1, 2, 'Song', 'Double/CD1/02 - Song.flac'],
      [2, 1, 'Intro', 'Double/CD2/01 - Intro.flac'],
      [2, 2, 'Other', 'Double/CD2/02 - Other.flac'],
    ]);
  });

  it('a discography pack offers only the folder that names the album, not every album in it', async () => {
    const found = await findReleaseAlbum(
      target('Pack Rat', 'Middle'),
      DEFAULT_RULES,
      'torznab:ix',
      deps(),
    );
    expect(found!.directory).toBe(`${PACK_TITLE}/pack/Middle`);
    expect(found!.tracks.map((t) => [t.trackNumber, t.title, t.candidate?.release?.file])).toEqual([
      [1, 'D', 'pack/Middle/01 - D.flac'],
      [2, 'E', 'pack/Middle/02 - E.flac'],
    ]);
  });

  it('two releases of one title: the tracks are pinned to the one whose files won', async () => {
    const found = await findReleaseAlbum(
      target('Twin Title', 'Same'),
      DEFAULT_RULES,
      'torznab:ix',
      deps(),
    );
    expect(found!.tracks).toHaveLength(3);
    for (const t of found!.tracks) {
      expect(t.candidate?.release?.guid).toBe('twin-2');
      expect(t.candidate?.release?.link).toMatch(/twin-album\.torrent$/);
    }
  });

  it('a client that is down (its circuit open) has its releases passed by, and the indexer says why', async () => {
    const provider = providers(true);
    const client = provider.client('qbittorrent') as unknown as {
      health(): Promise<unknown>;
      circuit: string;
    };
    // Port 9 answers nothing: one failed probe opens the circuit (threshold 1).
    await client.health();
    expect(client.circuit).toBe('open');
    const before = server.downloads.length;
    await expect(
      findReleaseAlbum(target(), DEFAULT_RULES, 'torznab:ix', { ...deps(), provider }),
    ).rejects.toThrow(/^qbittorrent is unreachable \(circuit open\)/);
    expect(server.downloads.length).toBe(before);
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
  it('only names a client can be asked for become tracks: no control character, no .. segment, audio only', () => {
    const entries = [
      'Album/01 - Fine.flac',
      'Album/02 - Pl\u0000ay.flac',
      'Album/03 - Line\nBreak.flac',
      'Album/../../etc/04 - Out.flac',
      'Album//05 - Empty.flac',
      'Album/./06 - Dot.flac',
      'Album/cover.jpg',
      'Album\\07 - Back.mp3',
    ].map((p) => ({ path: p, size: 1 }));
    expect(usableEntries(entries).map((e) => e.path)).toEqual([
      'Album/01 - Fine.flac',
      'Album\\07 - Back.mp3',
    ]);
    const many = Array.from({ length: 700 }, (_, i) => ({ path: `A/${i}.flac`, size: 1 }));
    expect(usableEntries([{ path: 'A/scan.jpg', size: 1 }, ...many])).toHaveLength(500);
  });
});

describe('a release’s folders (pure)', () => {
  const release = (title: string) => ({
    provider: 'qbittorrent',
    username: 'ix',
    filename: title,
    size: 1,
    extension: 'flac',
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 0,
    release: {
      protocol: 'torrent' as const,
      indexer: 'ix',
      guid: title,
      title,
      link: 'http://127.0.0.1/x.torrent',
      size: 1,
      categories: [],
    },
  });
  const entries = (paths: string[]) => paths.map((p) => ({ path: p, size: 1000 }));
  const dirs = (title: string, paths: string[], album: string) =>
    releaseFolders(release(title), entries(paths), album).map((f) => f.directory);

  it('a pack offers the folder below its own that names the album, as whole words', () => {
    const pack = [
      'Weezer - Discography/1994 - Weezer/01 - My Name Is Jonas.flac',
      'Weezer - Discography/2005 - Make Believe/01 - Beverly Hills.flac',
    ];
    expect(dirs('Weezer - Discography', pack, 'Weezer')).toEqual([
      'Weezer - Discography/Weezer - Discography/1994 - Weezer',
    ]);
    const meshuggah = [
      'Meshuggah - Discography/2004 - I/01 - I.flac',
      'Meshuggah - Discography/2008 - obZen/01 - Combustion.flac',
    ];
    expect(dirs('Meshuggah - Discography', meshuggah, 'I')).toEqual([
      'Meshuggah - Discography/Meshuggah - Discography/2004 - I',
    ]);
    // A name that normalizes to nothing names no folder of a pack.
    expect(dirs('Pack', ['P/A/01 - x.flac', 'P/B/01 - y.flac'], '÷')).toEqual([]);
    // One folder: the release title already named the album.
    expect(dirs('T', ['Album/01 - x.flac', 'Album/02 - y.flac'], '÷')).toEqual(['T/Album']);
  });

  it('disc folders, plain or decorated, are one album with its discs; files beside a CD2 are disc 1', () => {
    const title = 'Artist - Double (2020) [FLAC]';
    const paths = [
      'Double/Disc 1 - The Songs/01 - Intro.flac',
      'Double/Disc 1 - The Songs/02 - Song.flac',
      'Double/[CD 2 of 2]/01 - Intro.flac',
    ];
    const [folder, ...rest] = releaseFolders(release(title), entries(paths), 'Double');
    expect(rest).toEqual([]);
    const files = folder!.entries.map((e) => releaseFileCandidate(release(title), e));
    const verdict = judgeFolder(
      { artist: 'Artist', album: 'Double', tracks: null },
      { provider: 'qbittorrent', username: 'ix', directory: folder!.directory, files },
      DEFAULT_RULES,
      { discFolders: true },
    );
    expect(verdict.tracks.map((t) => [t.discNumber, t.trackNumber, t.title])).toEqual([
      [1, 1, 'Intro'],
      [1, 2, 'Song'],
      [2, 1, 'Intro'],
    ]);
    expect(verdict.completeLooking).toBe(true);
    const beside = ['Double/01 - Intro.flac', 'Double/CD2/01 - Outro.flac'];
    const [one] = releaseFolders(release(title), entries(beside), 'Double');
    const besideVerdict = judgeFolder(
      { artist: 'Artist', album: 'Double', tracks: null },
      {
        provider: 'qbittorrent',
        username: 'ix',
        directory: one!.directory,
        files: one!.entries.map((e) => releaseFileCandidate(release(title), e)),
      },
      DEFAULT_RULES,
      { discFolders: true },
    );
    expect(besideVerdict.tracks.map((t) => [t.discNumber, t.trackNumber])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(besideVerdict.completeLooking).toBe(true);
  });

  it('a flat release of several albums, each numbered 01…, is not complete-looking', () => {
    const title = 'Artist - Double (2020) [FLAC]';
    const flat = ['01 - A.flac', '02 - B.flac', '01 - C.flac', '02 - D.flac'];
    const files = flat.map((p) => releaseFileCandidate(release(title), { path: p, size: 1000 }));
    const verdict = judgeFolder(
      { artist: 'Artist', album: 'Double', tracks: null },
      { provider: 'qbittorrent', username: 'ix', directory: title, files },
      DEFAULT_RULES,
      { discFolders: true },
    );
    expect(verdict.tracks).toHaveLength(4);
    expect(verdict.completeLooking).toBe(false);
  });
});
