import { describe, expect, it } from 'vitest';
import { libraryRelativePath, withCollisionSuffix, type TrackNaming } from './naming.js';
import { utf8Length } from './sanitize.js';

const track = (overrides: Partial<TrackNaming>): TrackNaming => ({
  artist: 'Radiohead',
  album: 'OK Computer',
  title: 'Karma Police',
  trackNumber: 6,
  extension: 'flac',
  ...overrides,
});

describe('libraryRelativePath', () => {
  it.each<[string, Partial<TrackNaming>, string[]]>([
    ['the usual case', {}, ['Radiohead', 'OK Computer', '06 - Karma Police.flac']],
    [
      'album artist wins the folder',
      { artist: 'Jay-Z', albumArtist: 'Various Artists', album: 'Hits' },
      ['Various Artists', 'Hits', '06 - Karma Police.flac'],
    ],
    [
      'blank album artist is ignored',
      { albumArtist: '  ' },
      ['Radiohead', 'OK Computer', '06 - Karma Police.flac'],
    ],
    ['no album', { album: null }, ['Radiohead', 'Unknown Album', '06 - Karma Police.flac']],
    ['empty album', { album: '' }, ['Radiohead', 'Unknown Album', '06 - Karma Police.flac']],
    [
      'album that sanitizes to nothing',
      { album: '..' },
      ['Radiohead', 'Unknown Album', '06 - Karma Police.flac'],
    ],
    ['no track number', { trackNumber: null }, ['Radiohead', 'OK Computer', 'Karma Police.flac']],
    ['track number 0', { trackNumber: 0 }, ['Radiohead', 'OK Computer', 'Karma Police.flac']],
    [
      'fractional track number',
      { trackNumber: 1.5 },
      ['Radiohead', 'OK Computer', 'Karma Police.flac'],
    ],
    [
      'two-digit track',
      { trackNumber: 12 },
      ['Radiohead', 'OK Computer', '12 - Karma Police.flac'],
    ],
    [
      'three-digit track',
      { trackNumber: 123 },
      ['Radiohead', 'OK Computer', '123 - Karma Police.flac'],
    ],
    [
      'extension with a dot, upper case',
      { extension: '.MP3' },
      ['Radiohead', 'OK Computer', '06 - Karma Police.mp3'],
    ],
    [
      'hostile extension',
      { extension: '../../x' },
      ['Radiohead', 'OK Computer', '06 - Karma Police.x'],
    ],
    ['no extension', { extension: '' }, ['Radiohead', 'OK Computer', '06 - Karma Police']],
    [
      'colon and slash in names',
      { artist: 'AC/DC', album: 'Live: 1992', title: 'T.N.T.' },
      ['AC_DC', 'Live - 1992', '06 - T.N.T.flac'],
    ],
    [
      'traversal in every tag',
      { artist: '..', album: '.', title: '..' },
      ['Unknown Artist', 'Unknown Album', '06 - Unknown Title.flac'],
    ],
    [
      'reserved names',
      { artist: 'CON', album: 'aux', title: 'nul' },
      ['CON_', 'aux_', '06 - nul_.flac'],
    ],
    [
      'reserved name without a number',
      { title: 'PRN', trackNumber: null },
      ['Radiohead', 'OK Computer', 'PRN_.flac'],
    ],
    [
      'unicode kept, composed',
      { artist: 'Sigur Ro\u0301s', title: 'Hoppípolla' },
      ['Sigur Rós', 'OK Computer', '06 - Hoppípolla.flac'],
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(libraryRelativePath(track(overrides))).toEqual(expected);
  });

  it('keeps the extension of an over-long title within 255 bytes', () => {
    const [, , fileName] = libraryRelativePath(track({ title: 'Ω'.repeat(400) }));
    expect(fileName?.startsWith('06 - ΩΩ')).toBe(true);
    expect(fileName?.endsWith('.flac')).toBe(true);
    expect(utf8Length(fileName ?? '')).toBeLessThanOrEqual(255);
  });
});

describe('withCollisionSuffix', () => {
  it.each<[string, number, string]>([
    ['01 - Song.flac', 1, '01 - Song.flac'],
    ['01 - Song.flac', 2, '01 - Song (2).flac'],
    ['01 - Song.flac', 10, '01 - Song (10).flac'],
    ['T.N.T.mp3', 3, 'T.N.T (3).mp3'],
    ['NoExtension', 2, 'NoExtension (2)'],
    ['Trailing.', 2, 'Trailing. (2)'],
  ])('%s, %d → %s', (name, n, expected) => {
    expect(withCollisionSuffix(name, n)).toBe(expected);
  });

  it('stays within 255 bytes by shortening the name, not the suffix or extension', () => {
    const long = 'x'.repeat(250) + '.flac';
    const out = withCollisionSuffix(long, 12);
    expect(out).toBe('x'.repeat(245) + ' (12).flac');
    expect(utf8Length(out)).toBe(255);
  });
});
