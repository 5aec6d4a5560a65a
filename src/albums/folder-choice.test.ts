import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../matching/quality-profile-builtins.js';
import type { Candidate } from '../providers/provider.js';
import { filesInside } from './album-folder.js';
import {
  chooseFolder,
  MAX_ALBUM_TRACKS,
  MAX_FOLDER_FILES,
  foldersToBrowse,
  groupByFolder,
  parseTrackName,
  tracksFromFiles,
  withPeerFacts,
  type AlbumTarget,
  type FolderFiles,
} from './folder-choice.js';

function file(username: string, path: string, extra: Partial<Candidate> = {}): Candidate {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return {
    provider: 'slskd',
    username,
    filename: path,
    size: 5_000_000,
    extension: ext,
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 1_000_000,
    ...(ext === 'mp3' ? { bitRate: 320 } : { sampleRate: 44_100, bitDepth: 16 }),
    ...extra,
  };
}

function folder(username: string, dir: string, names: string[], extra: Partial<Candidate> = {}) {
  return {
    provider: 'slskd',
    username,
    directory: dir,
    files: names.map((n) => file(username, `${dir}\\${n}`, extra)),
  } satisfies FolderFiles;
}

const ARTIST = 'Prism Avenue';
const ALBUM = 'Harbour Lights';
const TRACKS = [
  { title: 'Night Ferry', trackNumber: 1 },
  { title: 'Glass Harbour', trackNumber: 2 },
  { title: 'Wire Garden', trackNumber: 3 },
];
const target: AlbumTarget = { artist: ARTIST, album: ALBUM, tracks: TRACKS };
const D = (u: string, rest = '') => `@@${u}\\Music\\${ARTIST}\\${ALBUM}${rest}`;
const flacs = ['01 - Night Ferry.flac', '02 - Glass Harbour.flac', '03 - Wire Garden.flac'];
const mp3s = flacs.map((n) => n.replace('.flac', '.mp3'));

describe('chooseFolder: a table of folders', () => {
  const cases: { name: string; folders: FolderFiles[]; want: string | null; matched?: number }[] = [
    {
      name: 'the complete folder over a partial one on a freer peer',
      folders: [
        folder('alice', D('a'), flacs, { hasFreeUploadSlot: false, queueLength: 30 }),
        folder('bob', D('b'), flacs.slice(0, 2)),
      ],
      want: 'alice',
      matched: 3,
    },
    {
      name: 'one format over mixed formats',
      folders: [
        folder('mixed', D('m'), [flacs[0]!, mp3s[1]!, flacs[2]!]),
        folder('mp3', D('p'), mp3s),
      ],
      want: 'mp3',
    },
    {
      name: 'FLAC over MP3 when both are complete in one format (profile Any)',
      folders: [folder('mp3', D('p'), mp3s), folder('flac', D('f'), flacs)],
      want: 'flac',
    },
    {
      name: 'a live album is no candidate for the studio album',
      folders: [
        folder('live', D('l', ' (Live)'), flacs),
        folder('studio', D('s'), flacs.slice(0, 1)),
      ],
      want: 'studio',
      matched: 1,
    },
    {
      name: 'another artist’s folder matches nothing',
      folders: [folder('other', '@@o\\Music\\Somebody\\Harbour Lights', flacs)],
      want: null,
    },
    {
      name: 'extra files (cover, log, a bonus track) do not hurt',
      folders: [
        folder('extras', D('e'), [...flacs, 'cover.jpg', 'rip.log', '04 - Bonus Beat.flac']),
        folder('plain', D('p'), mp3s),
      ],
      want: 'extras',
      matched: 3,
    },
  ];
  it.each(cases)('$name', ({ folders, want, matched }) => {
    const { chosen, considered } = chooseFolder(target, folders, DEFAULT_RULES);
    expect(considered).toHaveLength(folders.length);
    expect(chosen?.username ?? null).toBe(want);
    if (matched !== undefined) expect(chosen?.matched).toBe(matched);
  });

  it('gives each track its own file, preferring the file numbered as the track', () => {
    const f = folder('a', D('a'), [
      '01 - Intro.flac',
      '02 - Song.flac',
      '05 - Intro (Reprise).flac',
    ]);
    const { chosen } = chooseFolder(
      {
        artist: ARTIST,
        album: ALBUM,
        tracks: [
          { title: 'Intro (Reprise)', trackNumber: 5 },
          { title: 'Intro', trackNumber: 1 },
          { title: 'Song', trackNumber: 2 },
        ],
      },
      [f],
      DEFAULT_RULES,
    );
    expect(chosen?.tracks.map((t) => t.candidate?.filename.split('\\').pop())).toEqual([
      '05 - Intro (Reprise).flac',
      '01 - Intro.flac',
      '02 - Song.flac',
    ]);
  });

  it('leaves a track missing from the folder without a file', () => {
    const { chosen } = chooseFolder(target, [folder('a', D('a'), flacs.slice(1))], DEFAULT_RULES);
    expect(chosen?.tracks.map((t) => t.candidate !== null)).toEqual([false, true, true]);
    expect(chosen?.notes[0]).toBe('2/3 tracks');
  });

  it('skips blocked files', () => {
    const blocked = `${D('a')}\\01 - Night Ferry.flac`;
    const { chosen } = chooseFolder(target, [folder('a', D('a'), flacs)], DEFAULT_RULES, {
      isBlocked: (c) => c.filename === blocked,
    });
    expect(chosen?.matched).toBe(2);
  });
});

describe('a folder the request names (a Lidarr grab, a pick)', () => {
  const mp3 = folder('mp3', D('p'), mp3s);
  const flac = folder('flac', D('f'), flacs);
  const thin = folder('thin', D('t'), mp3s.slice(0, 2));
  const named = (f: FolderFiles, over: Partial<AlbumTarget> = {}): AlbumTarget => ({
    ...target,
    preferred: { username: f.username, directory: f.directory },
    ...over,
  });
  const cases: { name: string; target: AlbumTarget; folders: FolderFiles[]; want: string }[] = [
    { name: 'no folder named: the best', target, folders: [mp3, flac], want: 'flac' },
    {
      name: 'named and as complete as the best: taken over a better quality',
      target: named(mp3),
      folders: [flac, mp3],
      want: 'mp3',
    },
    {
      name: 'named but with fewer of the tracks: the complete one',
      target: named(thin),
      folders: [thin, flac],
      want: 'flac',
    },
    {
      name: 'named at another provider: not that folder',
      target: { ...target, preferred: { provider: 'torznab', username: 'mp3', directory: D('p') } },
      folders: [mp3, flac],
      want: 'flac',
    },
    {
      name: 'named but gone from the results: the best',
      target: named(folder('gone', D('g'), mp3s)),
      folders: [mp3, flac],
      want: 'flac',
    },
    {
      name: 'without a track list too',
      target: named(mp3, { tracks: null }),
      folders: [flac, mp3],
      want: 'mp3',
    },
  ];
  it.each(cases)('$name', ({ target: t, folders, want }) => {
    expect(chooseFolder(t, folders, DEFAULT_RULES).chosen?.username).toBe(want);
  });

  it('is never taken while blocked', () => {
    const isBlocked = (c: Candidate) => c.username === 'mp3';
    const { chosen } = chooseFolder(named(mp3), [mp3, flac], DEFAULT_RULES, { isBlocked });
    expect(chosen?.username).toBe('flac');
  });

  it('is browsed first, whatever its rank among the hits', () => {
    const groups = [flac, thin, mp3];
    expect(foldersToBrowse(target, groups, DEFAULT_RULES, 1).map((g) => g.username)).toEqual([
      'flac',
    ]);
    expect(foldersToBrowse(named(thin), groups, DEFAULT_RULES, 2).map((g) => g.username)).toEqual([
      'thin',
      'flac',
    ]);
  });
});

describe('without a track list', () => {
  const open: AlbumTarget = { artist: ARTIST, album: ALBUM, tracks: null };

  it('takes the complete-looking folder and its tracks from the file names', () => {
    const gappy = folder('gap', D('g'), ['01 - A.flac', '02 - B.flac', '04 - D.flac']);
    const whole = folder('whole', D('w'), ['01 - A.mp3', '02 - B.mp3', '03 - C.mp3']);
    const { chosen } = chooseFolder(open, [gappy, whole], DEFAULT_RULES);
    expect(chosen?.username).toBe('whole');
    expect(chosen?.tracks.map((t) => [t.trackNumber, t.title])).toEqual([
      [1, 'A'],
      [2, 'B'],
      [3, 'C'],
    ]);
  });

  it('numbers files without numbers after the numbered ones, skipping non-audio', () => {
    const files = folder('u', D('u'), ['02 - Two.flac', 'Untitled.flac', '01 - One.flac', 'x.nfo']);
    expect(tracksFromFiles(open, files.files, DEFAULT_RULES)).toEqual([
      { title: 'One', trackNumber: 1, discNumber: null, durationSeconds: null },
      { title: 'Two', trackNumber: 2, discNumber: null, durationSeconds: null },
      { title: 'Untitled', trackNumber: 3, discNumber: null, durationSeconds: null },
    ]);
  });

  it.each([
    ['01 - Night Ferry.flac', { track: 1, disc: null, title: 'Night Ferry' }],
    ['01. Night Ferry.mp3', { track: 1, disc: null, title: 'Night Ferry' }],
    ['1-02 Glass Harbour.flac', { track: 2, disc: 1, title: 'Glass Harbour' }],
    ['Prism Avenue - 03 - Wire Garden.flac', { track: 3, disc: null, title: 'Wire Garden' }],
    ['03 - Prism Avenue - Wire Garden.flac', { track: 3, disc: null, title: 'Wire Garden' }],
    ['Wire Garden.flac', { track: null, disc: null, title: 'Wire Garden' }],
    ['10 Ten Years.flac', { track: 10, disc: null, title: 'Ten Years' }],
  ])('parses %s', (name, want) => {
    expect(parseTrackName(name, ARTIST)).toEqual(want);
  });
});

describe('search results', () => {
  it('groups by folder and browses the folders with most accepted hits first', () => {
    const hits = [
      file('a', `${D('a')}\\01 - Night Ferry.flac`),
      file('b', `${D('b')}\\01 - Night Ferry.mp3`),
      file('b', `${D('b')}\\02 - Glass Harbour.mp3`),
      file('c', `${D('c', ' (Live)')}\\01 - Night Ferry.flac`),
      file('c', `${D('c', ' (Live)')}\\02 - Glass Harbour.flac`),
      file('c', `${D('c', ' (Live)')}\\03 - Wire Garden.flac`),
    ];
    const groups = groupByFolder(hits);
    expect(groups.map((g) => [g.username, g.files.length])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(foldersToBrowse(target, groups, DEFAULT_RULES, 5).map((g) => g.username)).toEqual([
      'b',
      'a',
    ]);
    expect(foldersToBrowse(target, groups, DEFAULT_RULES, 1)).toHaveLength(1);
  });

  it('gives browsed files the peer facts of its search answer', () => {
    const browsed = [
      file('a', 'x\\1.flac', { hasFreeUploadSlot: false, queueLength: 0, uploadSpeed: 0 }),
    ];
    const hit = file('a', 'x\\2.flac', { hasFreeUploadSlot: true, queueLength: 4, uploadSpeed: 9 });
    expect(withPeerFacts(browsed, [hit])[0]).toMatchObject({
      hasFreeUploadSlot: true,
      queueLength: 4,
      uploadSpeed: 9,
    });
  });
});

/**
 * A listing a peer makes up: thousands of audio files, every one matching the album, and (the
 * worst case for matching) every one matching every title. Judging is synchronous on the event
 * loop; before, 3000 files became 3000 tracks, each ranked against all 3000 files (minutes).
 */
describe('judging a hostile folder listing', () => {
  const huge = (n: number, name: (i: number) => string) =>
    folder(
      'h',
      D('h'),
      Array.from({ length: n }, (_, i) => name(i)),
    );

  it('takes at most MAX_ALBUM_TRACKS tracks from MAX_FOLDER_FILES files, quickly', () => {
    const f = huge(3000, (i) => `${i + 1} - Song ${i + 1}.flac`);
    const started = performance.now();
    const verdict = chooseFolder(
      { artist: ARTIST, album: ALBUM, tracks: null },
      [f],
      DEFAULT_RULES,
    ).chosen!;
    const ms = performance.now() - started;
    expect(verdict.tracks).toHaveLength(MAX_ALBUM_TRACKS);
    expect(verdict.matched).toBe(MAX_ALBUM_TRACKS);
    expect(verdict.tracks[0]).toMatchObject({ trackNumber: 1, title: 'Song 1' });
    expect(verdict.tracks[0]!.candidate!.filename).toMatch(/\\1 - Song 1\.flac$/);
    expect(ms).toBeLessThan(1500);
  });

  it('ranks few files per track when every file matches every title', () => {
    // Same title in every name: each track could be any file.
    const f = huge(3000, (i) => `${i + 1} - x.flac`);
    const started = performance.now();
    const verdict = chooseFolder(
      { artist: ARTIST, album: ALBUM, tracks: null },
      [f],
      DEFAULT_RULES,
    ).chosen!;
    const ms = performance.now() - started;
    expect(verdict.tracks.length).toBeLessThanOrEqual(MAX_ALBUM_TRACKS);
    // Each track still gets the file numbered as it, each file used once.
    for (const t of verdict.tracks)
      expect(t.candidate?.filename.endsWith(`\\${t.trackNumber} - x.flac`)).toBe(true);
    expect(ms).toBeLessThan(1500);
  });

  it('with a track list, judges only the first MAX_FOLDER_FILES files', () => {
    const f = huge(MAX_FOLDER_FILES + 50, (i) => `${i + 1} - Song ${i + 1}.flac`);
    const wanted = [{ title: `Song ${MAX_FOLDER_FILES + 10}`, trackNumber: MAX_FOLDER_FILES + 10 }];
    const verdict = chooseFolder(
      { artist: ARTIST, album: ALBUM, tracks: wanted },
      [f],
      DEFAULT_RULES,
    ).considered[0]!;
    expect(verdict.matched).toBe(0);
  });
});

describe('filesInside: what a browse answer may bring in', () => {
  const dir = '@@p\\Music\\A\\Album';
  const f = (name: string) => file('p', name);

  it('keeps the folder’s files and its subfolders’, nothing from elsewhere', () => {
    const listed = [
      f(`${dir}\\01 - One.flac`),
      f(`${dir}/02 - Two.flac`),
      f(`${dir}\\CD2\\01 - Three.flac`),
      f(`${dir} (Deluxe)\\01 - One.flac`),
      f(`${dir}\\..\\..\\Other\\x.flac`),
      f(`${dir}\\CD2\\..\\..\\Other\\y.flac`),
      f(`${dir}\\.\\z.flac`),
      f(`${dir}\\\\w.flac`),
      f('@@p\\Music\\Other\\v.flac'),
    ];
    expect(filesInside(listed, dir).map((c) => c.filename)).toEqual([
      `${dir}\\01 - One.flac`,
      `${dir}/02 - Two.flac`,
      `${dir}\\CD2\\01 - Three.flac`,
    ]);
  });

  it('keeps at most MAX_FOLDER_FILES', () => {
    const listed = Array.from({ length: 5000 }, (_, i) => f(`${dir}\\${i}.flac`));
    expect(filesInside(listed, dir)).toHaveLength(MAX_FOLDER_FILES);
  });
});
