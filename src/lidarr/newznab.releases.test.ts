import { describe, expect, it } from 'vitest';
import type { SearchResultDto } from '../search/search.dto.js';
import { folderReleases, nameOfFolder, releaseFeedTitle } from './newznab.releases.js';

const ranked = (files: [string, string, number, number | null][]) =>
  ({
    ranked: files.map(([username, filename, size, bitRate]) => ({
      source: {
        provider: 'slskd',
        username,
        filename,
        size,
        bitRate,
        sampleRate: null,
        bitDepth: null,
        lengthSeconds: null,
      },
    })),
  }) as unknown as SearchResultDto;

describe('Newznab releases from ranked files', () => {
  it('makes one release per folder of two or more files of one format, best folder first', () => {
    const result = ranked([
      ['b', '@@b\\A\\B (2001)\\01.mp3', 100, 320],
      ['a', '@@a\\A - B (2001)\\01.flac', 1000, 900],
      ['a', '@@a\\A - B (2001)\\02.flac', 1000, 1100],
      ['a', '@@a\\A - B (2001)\\cover.mp3', 10, 128],
      ['b', '@@b\\A\\B (2001)\\02.mp3', 100, 320],
      ['c', '@@c\\single\\01.flac', 1000, 900],
    ]);
    const releases = folderReleases(result, { artist: 'A', album: 'B', year: null });
    expect(releases.map((r) => [r.username, r.format, r.files, r.size, r.bitRate])).toEqual([
      ['b', 'mp3', 2, 200, 320],
      ['a', 'flac', 2, 2000, 1000],
    ]);
    // Free text: artist and album come from the folder's name.
    const free = folderReleases(result, { artist: null, album: null, year: null });
    expect(free.map((r) => [r.artist, r.album, r.year])).toEqual([
      ['A', 'B', 2001],
      ['A', 'B', 2001],
    ]);
  });

  it.each([
    ['@@x\\Music\\Artist\\Album (1999)', { artist: 'Artist', album: 'Album', year: 1999 }],
    ['@@x\\Artist - Album [2010] [FLAC]', { artist: 'Artist', album: 'Album', year: 2010 }],
    ['@@x/Album', { artist: '@@x', album: 'Album', year: null }],
  ])('reads %s', (dir, expected) => {
    expect(nameOfFolder(dir)).toEqual(expected);
  });

  it('titles a release as Lidarr parses: artist - album (year) [FORMAT rate]', () => {
    const r = { artist: 'A', album: 'B', year: 2001, format: 'mp3', bitRate: 320 } as never;
    expect(releaseFeedTitle(r)).toBe('A - B (2001) [MP3 320kbps]');
  });
});
