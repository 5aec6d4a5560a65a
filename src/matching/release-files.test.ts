import { describe, expect, it } from 'vitest';
import { pickReleaseFile } from './release-files.js';

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
