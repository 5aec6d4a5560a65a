import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planLibraryPath, type NamingPatterns } from './naming.js';
import {
  DEFAULT_MULTI_DISC_NAMING_PATTERN,
  DEFAULT_NAMING_PATTERN,
  isMultiDisc,
  namingPatternProblem,
  TOKEN_NAMES,
  type TrackNaming,
} from './naming-pattern.js';
import { utf8Length } from './sanitize.js';

const track = (overrides: Partial<TrackNaming> = {}): TrackNaming => ({
  artist: 'Radiohead',
  album: 'OK Computer',
  title: 'Karma Police',
  trackNumber: 6,
  year: 1997,
  genre: 'Rock',
  extension: 'flac',
  ...overrides,
});

const withPattern = (namingPattern: string, multiDiscNamingPattern = namingPattern) =>
  ({ namingPattern, multiDiscNamingPattern }) satisfies NamingPatterns;

const render = (pattern: string, overrides: Partial<TrackNaming> = {}): string =>
  planLibraryPath(track(overrides), withPattern(pattern)).segments.join('/');

describe('naming patterns: rendering', () => {
  it.each<[string, string, Partial<TrackNaming>, string]>([
    ['the default', DEFAULT_NAMING_PATTERN, {}, 'Radiohead/OK Computer/06 - Karma Police.flac'],
    [
      "Lidarr's standard format",
      '{Album Title} ({Release Year})/{Artist Name} - {Album Title} - {track:00} - {Track Title}',
      {},
      'OK Computer (1997)/Radiohead - OK Computer - 06 - Karma Police.flac',
    ],
    ['padding to three', '{track:000} {Track Title}', {}, '006 Karma Police.flac'],
    ['no padding', '{track}. {Track Title}', { trackNumber: 12 }, '12. Karma Police.flac'],
    [
      'a number wider than its padding',
      '{track:0}-{Track Title}',
      { trackNumber: 123 },
      '123-Karma Police.flac',
    ],
    [
      'genre and year folders',
      '{Genre}/{Release Year}/{Track Title}',
      {},
      'Rock/1997/Karma Police.flac',
    ],
    [
      'extension as text',
      '{Album Title} [{EXT}]/{Track Title}',
      {},
      'OK Computer [FLAC]/Karma Police.flac',
    ],
    ['a trailing .{ext} is not doubled', '{Track Title}.{ext}', {}, 'Karma Police.flac'],
    ['a trailing {.ext} is not doubled', '{Track Title}{.ext}', {}, 'Karma Police.flac'],
    // Token spelling: case, spaces and punctuation do not matter; the case of the token does.
    [
      'lower-case token lower-cases',
      '{artist name}/{track title}',
      {},
      'radiohead/karma police.flac',
    ],
    [
      'upper-case token upper-cases',
      '{ARTIST NAME}/{TRACK TITLE}',
      {},
      'RADIOHEAD/KARMA POLICE.flac',
    ],
    ['dot separator', '{Artist.Name}.{Track.Title}', {}, 'Radiohead.Karma.Police.flac'],
    [
      'underscore separator',
      '{Artist_Name}_{track:00}_{Track_Title}',
      {},
      'Radiohead_06_Karma_Police.flac',
    ],
    [
      "Lidarr's {Track ArtistName}",
      '{Track ArtistName} - {Track Title}',
      {},
      'Radiohead - Karma Police.flac',
    ],
    ['literal braces', '{{{Track Title}}}', {}, '{Karma Police}.flac'],
    ['length limit', '{Album Title:5}/{Track Title:8}', {}, 'OK C…/Karma P….flac'],
    // Album artist vs artist.
    [
      'album artist and artist',
      '{Album Artist Name}/{Artist Name} - {Track Title}',
      { artist: 'Jay-Z', albumArtist: 'Various Artists' },
      'Various Artists/Jay-Z - Karma Police.flac',
    ],
    // Empty tokens collapse with their separators and brackets.
    [
      'no album, in a name',
      '{Artist Name} - {Album Title} - {Track Title}',
      { album: null },
      'Radiohead - Karma Police.flac',
    ],
    [
      'no album, as a folder',
      DEFAULT_NAMING_PATTERN,
      { album: '' },
      'Radiohead/Unknown Album/06 - Karma Police.flac',
    ],
    [
      'no year in brackets',
      '{Album Title} ({Release Year})/{Track Title}',
      { year: null },
      'OK Computer/Karma Police.flac',
    ],
    [
      'year 0 is no year',
      '{Album Title} [{Release Year}]/{Track Title}',
      { year: 0 },
      'OK Computer/Karma Police.flac',
    ],
    [
      'no year, bracket in the middle',
      '{Album Title} ({Release Year}) - {Track Title}',
      { year: null },
      'OK Computer - Karma Police.flac',
    ],
    ['prefix inside the braces', '{Track Title}{ (Release Year)}', {}, 'Karma Police (1997).flac'],
    [
      'prefix dropped with its token',
      '{Track Title}{ (Release Year)}',
      { year: null },
      'Karma Police.flac',
    ],
    [
      'no genre: the folder is left out',
      '{Genre}/{Album Title}/{Track Title}',
      { genre: '  ' },
      'OK Computer/Karma Police.flac',
    ],
    ['no track number', '{track:00} - {Track Title}', { trackNumber: null }, 'Karma Police.flac'],
    [
      'no track number, at the end',
      '{Track Title} - {track:00}',
      { trackNumber: 0 },
      'Karma Police.flac',
    ],
    [
      'two empty tokens in a row',
      '{Artist Name} - {Album Title} - {track:00} - {Track Title}',
      { album: null, trackNumber: null },
      'Radiohead - Karma Police.flac',
    ],
    [
      'track only, no number: the title names it',
      '{track:00}',
      { trackNumber: null },
      'Karma Police.flac',
    ],
    // Hostile and awkward values.
    [
      'illegal characters',
      '{Artist Name}/{Album Title}/{Track Title}',
      { artist: 'AC/DC', album: 'What? <Live> "1992"', title: 'a\\b|c*d' },
      'AC_DC/What_ _Live_ _1992_/a_b_c_d.flac',
    ],
    [
      'colons as Lidarr replaces them',
      '{Album Title}/{Track Title}',
      { album: 'Live: 1992', title: 'Time 12:30' },
      'Live - 1992/Time 12-30.flac',
    ],
    [
      'traversal in tags',
      '{Artist Name}/{Album Title}/{Track Title}',
      { artist: '..', album: '..', title: '../..' },
      'Unknown Artist/Unknown Album/_.flac',
    ],
    [
      'dots only',
      '{Album Title} - {Track Title}',
      { album: '...', title: '.' },
      'Unknown Title.flac',
    ],
    [
      'trailing dots and spaces',
      '{Album Title}/{Track Title}',
      { album: 'Album. . ', title: 'T.N.T.' },
      'Album/T.N.T.flac',
    ],
    [
      'device names',
      '{Artist Name}/{Track Title}',
      { artist: 'con', title: 'LPT1' },
      'con_/LPT1_.flac',
    ],
    [
      'unicode and diacritics kept, composed',
      '{Artist Name}/{Album Title}/{Track Title}',
      { artist: 'Sigur Ro\u0301s', album: 'Ágætis byrjun', title: 'Svefn-g-englar 夜' },
      'Sigur Rós/Ágætis byrjun/Svefn-g-englar 夜.flac',
    ],
    [
      'bidi overrides removed',
      '{Track Title}',
      { title: 'song\u202Egalf.exe' },
      'songgalf.exe.flac',
    ],
  ])('%s', (_name, pattern, overrides, expected) => {
    expect(namingPatternProblem(pattern)).toBeNull();
    expect(render(pattern, overrides)).toBe(expected);
  });

  it('never gives an empty, "." or ".." folder, whatever the tags', () => {
    for (const value of ['', ' ', '.', '..', '...', ' . ', '\u202E', '\u0000']) {
      const segments = planLibraryPath(
        track({ artist: value, albumArtist: value, album: value, title: value, genre: value }),
        withPattern('{Genre}/{Album Artist Name}/{Album Title} ({Release Year})/{Track Title}'),
      ).segments;
      for (const s of segments) expect(['', '.', '..']).not.toContain(s);
      expect(segments.at(-1)).toBe('Unknown Title.flac');
    }
  });

  it('cuts an over-long title on a UTF-8 boundary, keeping the rest of the name', () => {
    const title = 'é'.repeat(100) + '😀'.repeat(100);
    const name = planLibraryPath(
      track({ title }),
      withPattern('{track:00} - {Track Title} ({Release Year})'),
    ).segments[0] as string;
    expect(utf8Length(name)).toBeLessThanOrEqual(255);
    expect(name.startsWith('06 - éé')).toBe(true);
    expect(name.endsWith(' (1997).flac')).toBe(true);
    expect(name).not.toMatch(/\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
  });

  it('cuts an over-long folder to 255 bytes, letters with combining marks kept whole', () => {
    const album = 'e\u0301'.repeat(200); // NFC makes each one "é", 2 bytes
    const [folder] = planLibraryPath(
      track({ album }),
      withPattern('{Album Title} ({Release Year})/{Track Title}'),
    ).segments;
    expect(utf8Length(folder as string)).toBeLessThanOrEqual(255);
    expect(folder?.endsWith(' (1997)')).toBe(true);
  });
});

describe('naming patterns: multi-disc', () => {
  const patterns = {
    namingPattern: DEFAULT_NAMING_PATTERN,
    multiDiscNamingPattern: DEFAULT_MULTI_DISC_NAMING_PATTERN,
  };
  it.each<[string, Partial<TrackNaming>, boolean, string]>([
    ['no disc number', {}, false, 'Radiohead/OK Computer/06 - Karma Police.flac'],
    ['disc 1 of unknown', { discNumber: 1 }, false, 'Radiohead/OK Computer/06 - Karma Police.flac'],
    [
      'disc 1 of 1',
      { discNumber: 1, discTotal: 1 },
      false,
      'Radiohead/OK Computer/06 - Karma Police.flac',
    ],
    [
      'disc 1 of 2',
      { discNumber: 1, discTotal: 2 },
      true,
      'Radiohead/OK Computer/Disc 1/06 - Karma Police.flac',
    ],
    [
      'disc 2 of unknown',
      { discNumber: 2 },
      true,
      'Radiohead/OK Computer/Disc 2/06 - Karma Police.flac',
    ],
    [
      'disc total without a disc number',
      { discTotal: 3 },
      false,
      'Radiohead/OK Computer/06 - Karma Police.flac',
    ],
    [
      'disc 0 is no disc',
      { discNumber: 0, discTotal: 2 },
      false,
      'Radiohead/OK Computer/06 - Karma Police.flac',
    ],
  ])('%s', (_name, overrides, multiDisc, expected) => {
    expect(isMultiDisc(track(overrides))).toBe(multiDisc);
    const plan = planLibraryPath(track(overrides), patterns);
    expect(plan.multiDisc).toBe(multiDisc);
    expect(plan.segments.join('/')).toBe(expected);
  });

  it('pads the disc number as asked', () => {
    expect(
      planLibraryPath(track({ discNumber: 2 }), {
        ...patterns,
        multiDiscNamingPattern: '{Album Title}/CD{medium:00}/{medium}-{track:00} {Track Title}',
      }).segments.join('/'),
    ).toBe('OK Computer/CD02/2-06 Karma Police.flac');
  });
});

describe('naming patterns: validation', () => {
  it.each<[string, string, RegExp]>([
    ['empty', '', /is empty/],
    ['blank', '   ', /is empty/],
    ['too long', `{Track Title}${'x'.repeat(500)}`, /longer than 500/],
    ['absolute', '/music/{Track Title}', /starts with "\/"/],
    ['a trailing slash', '{Artist Name}/', /ends with "\/"/],
    ['an empty folder', '{Artist Name}//{Track Title}', /empty folder/],
    ['a ".." folder', '{Artist Name}/../{Track Title}', /"\.\." folder/],
    ['a "." folder', './{Track Title}', /"\." folder/],
    ['too many folders', `${'a/'.repeat(10)}{Track Title}`, /more than 10 parts/],
    [
      'an unknown token',
      '{Artist Name}/{Album Name}/{Track Title}',
      /unknown token \{Album Name\}; known tokens: \{Artist Name\}/,
    ],
    [
      "Lidarr's {Medium Format} (not known here)",
      '{Medium Format} {medium}/{Track Title}',
      /unknown token \{Medium Format\}/,
    ],
    ['no title or track', '{Artist Name}/{Album Title}', /no \{Track Title\} or \{track\}/],
    ['title only in a folder', '{Track Title}/{Album Title}', /no \{Track Title\} or \{track\}/],
    ['an unclosed brace', '{Artist Name/{Track Title}', /opens or closes no token/],
    ['a token name no token can have', '{Títle} {Track Title}', /unknown token \{Títle\}/],
    ['an empty token', '{} {Track Title}', /opens or closes no token/],
    ['a stray closing brace', '{Track Title}}x', /opens or closes no token/],
    ['a bad number format', '{track:2}', /number token takes zeros/],
    ['a bad text format', '{Track Title:abc}', /text token takes a length/],
    ['an illegal character', '{Artist Name}: {Track Title}', /contains ":"/],
    ['a backslash', '{Artist Name}\\{Track Title}', /contains "\\"/],
    ['a control character', '{Track Title}\u0007', /control character/],
  ])('refuses %s', (_name, pattern, message) => {
    expect(namingPatternProblem(pattern)).toMatch(message);
    expect(() => planLibraryPath(track(), withPattern(pattern))).toThrow(message);
  });

  it.each([
    DEFAULT_NAMING_PATTERN,
    DEFAULT_MULTI_DISC_NAMING_PATTERN,
    '{track}',
    '{Track Title}',
    '{artist_name}/{TRACK-TITLE}',
    '{Album Title} ({Release Year})/{Artist Name} - {Album Title} - {track:00} - {Track Title}',
  ])('accepts %s', (pattern) => {
    expect(namingPatternProblem(pattern)).toBeNull();
  });

  it('lists every token in the unknown-token message', () => {
    const message = namingPatternProblem('{Nope} {Track Title}') ?? '';
    for (const name of TOKEN_NAMES) expect(message).toContain(name);
  });
});

describe('naming patterns: properties', () => {
  const hostile = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '..',
      '.',
      '',
      ' ',
      'CON',
      'a/b',
      'c:\\x',
      '{Track Title}',
      '\uE000',
      '😀'.repeat(200),
    ),
  );
  const tokens = TOKEN_NAMES.map((name) => name.replace(':00', ''));
  const segment = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          ...tokens,
          '{track:00}',
          '{medium:00}',
          '{Album Title:7}',
          '{ (Release Year)}',
        ),
        fc.constantFrom(' - ', ' ', '.', '(', ')', '[', ']', 'Disc ', '_', '..', 'é'),
      ),
      { minLength: 1, maxLength: 6 },
    )
    .map((parts) => parts.join(''));
  const pattern = fc
    .tuple(fc.array(segment, { maxLength: 4 }), segment)
    .map(([folders, file]) => [...folders, `${file} {Track Title}`].join('/'));

  it('keeps every valid pattern inside the library with safe segments (5,000 runs)', () => {
    const root = path.resolve('/srv/library');
    fc.assert(
      fc.property(
        pattern,
        fc.record({
          artist: hostile,
          albumArtist: fc.option(hostile, { nil: null }),
          album: fc.option(hostile, { nil: null }),
          title: hostile,
          genre: fc.option(hostile, { nil: null }),
          trackNumber: fc.option(fc.integer({ min: -2, max: 2000 }), { nil: null }),
          discNumber: fc.option(fc.integer({ min: -2, max: 200 }), { nil: null }),
          year: fc.option(fc.integer({ min: -1, max: 9999 }), { nil: null }),
          extension: fc.oneof(fc.constantFrom('flac', '.MP3', '../x', ''), hostile),
        }),
        (source, t) => {
          if (namingPatternProblem(source) !== null) return;
          const { segments } = planLibraryPath(t, withPattern(source));
          expect(segments.length).toBeGreaterThan(0);
          for (const s of segments) {
            expect(s).not.toBe('');
            expect(s).not.toBe('.');
            expect(s).not.toBe('..');
            expect(s).not.toMatch(/[/\\\0\uE000]/);
            expect(s).not.toMatch(/^[ .]|[ .]$/);
            expect(utf8Length(s)).toBeLessThanOrEqual(255);
          }
          const joined = path.resolve(root, ...segments);
          expect(joined.startsWith(root + path.sep)).toBe(true);
          expect(path.relative(root, joined).split(path.sep)).toEqual(segments);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});
