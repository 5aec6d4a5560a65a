import { describe, expect, it } from 'vitest';
import { namedReleaseFile, pickReleaseFile } from './release-files.js';

const album = [
  { path: 'Radiohead - OK Computer (1997) [FLAC]/01 - Airbag.flac', size: 30_000_000 },
  { path: 'Radiohead - OK Computer (1997) [FLAC]/06 - Karma Police.flac', size: 31_000_000 },
  {
    path: 'Radiohead - OK Computer (1997) [FLAC]/13 - Karma Police (Remix).flac',
    size: 32_000_000,
  },
  { path: 'Radiohead - OK Computer (1997) [FLAC]/cover.jpg', size: 500_000 },
  { path: 'Radiohead - OK Computer (1997) [FLAC]/OK Computer.cue', size: 2_000 },
];

describe('pickReleaseFile', () => {
  it('picks the track from an album release, not its remix or the artwork', () => {
    const pick = pickReleaseFile(album, {
      artist: 'Radiohead',
      title: 'Karma Police',
      album: 'OK Computer',
    });
    expect(pick?.entry).toBe(album[1]);
  });

  it('reads backslash paths as well as slashes', () => {
    const entries = album.map((e) => ({ ...e, path: e.path.replaceAll('/', '\\') }));
    expect(pickReleaseFile(entries, { artist: 'Radiohead', title: 'Airbag' })?.entry).toBe(
      entries[0],
    );
  });

  it('answers null when the release does not hold the track', () => {
    expect(pickReleaseFile(album, { artist: 'Radiohead', title: 'Paranoid Android' })).toBeNull();
    expect(pickReleaseFile([], { artist: 'Radiohead', title: 'Airbag' })).toBeNull();
  });
});

describe('namedReleaseFile', () => {
  const entries = [
    { path: 'Album/CD1/01 - Intro.flac', size: 1 },
    { path: 'Album/CD2/01 - Intro.flac', size: 2 },
  ];
  it('finds the file an album search chose, by its path or below the top folder', () => {
    expect(namedReleaseFile(entries, 'Album/CD2/01 - Intro.flac')?.entry.size).toBe(2);
    // A client told to create no subfolder lists the files without the torrent's name.
    const flat = entries.map((e) => ({ ...e, path: e.path.slice('Album/'.length) }));
    expect(namedReleaseFile(flat, 'Album/CD2/01 - Intro.flac')?.entry.size).toBe(2);
    expect(namedReleaseFile(entries, 'Album\\CD1\\01 - Intro.flac')?.entry.size).toBe(1);
    expect(namedReleaseFile(entries, 'Album/CD3/01 - Intro.flac')).toBeNull();
    // A folder nested in itself: listed without the top folder, "Top/01.flac" is the nested one
    // and the file asked for is "01.flac".
    const nested = [
      { path: '01.flac', size: 1 },
      { path: 'Top/01.flac', size: 2 },
    ];
    expect(namedReleaseFile(nested, 'Top/01.flac')?.entry.size).toBe(1);
    expect(namedReleaseFile(nested, 'Top/Top/01.flac')?.entry.size).toBe(2);
  });
});
