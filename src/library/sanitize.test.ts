import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { libraryRelativePath } from './naming.js';
import {
  remoteBaseName,
  remoteParentName,
  remotePathSegments,
  sanitizeFileName,
  sanitizeSegment,
  utf8Length,
} from './sanitize.js';

describe('sanitizeSegment', () => {
  // Cases after slskd's FileSafety tests, Nicotine+ clean_path, libtorrent's "filenames" post and
  // Lidarr's CleanFileName.
  it.each([
    ['..', '_'],
    ['.', '_'],
    ['', '_'],
    ['   ', '_'],
    ['...', '_'],
    ['foo/../bar', 'foo_.._bar'],
    ['..\\etc', '_etc'],
    ['../../etc/passwd', '_.._etc_passwd'],
    ['C:\\Windows', 'C-_Windows'],
    ['\\\\server\\share', '__server_share'],
    ['@@abcde\\Music\\a.mp3', '@@abcde_Music_a.mp3'],
    ['/etc/passwd', '_etc_passwd'],
    ['a\0b', 'ab'],
    ['a\u0001b\u001fc\u007fd\u0085e\u009ff', 'abcd ef'],
    ['tab\tand\nnewline', 'tab and newline'],
    ['song\u202Ecalf.exe', 'songcalf.exe'],
    ['\u2066isolated\u2069', 'isolated'],
    ['What? *Yes* <No> "Maybe" |Pipe|', 'What_ _Yes_ _No_ _Maybe_ _Pipe_'],
    ['Title: Subtitle', 'Title - Subtitle'],
    ['12:00', '12-00'],
    ['con', 'con_'],
    ['CON', 'CON_'],
    ['con.txt', 'con_.txt'],
    ['Con.tar.gz', 'Con_.tar.gz'],
    ['LPT1', 'LPT1_'],
    ['lpt9.flac', 'lpt9_.flac'],
    ['com1 .mp3', 'com1_ .mp3'],
    ['COM¹', 'COM¹_'],
    ['nul', 'nul_'],
    ['console', 'console'],
    ['COM10', 'COM10'],
    ['LPT0', 'LPT0'],
    ['trailing dots...', 'trailing dots'],
    ['trailing space ', 'trailing space'],
    [' . .mixed. . ', 'mixed'],
    ['.hidden', 'hidden'],
    ['Beyonce\u0301', 'Beyoncé'],
    ['e\u0000\u0301', 'é'],
    ['\uD800lone', '_lone'],
    ['Sigur Rós', 'Sigur Rós'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeSegment(input)).toBe(expected);
  });

  it('uses the fallback, itself sanitized', () => {
    expect(sanitizeSegment('..', 'Unknown Album')).toBe('Unknown Album');
    expect(sanitizeSegment('', '..')).toBe('_');
    expect(sanitizeSegment('\u202E', 'con')).toBe('con_');
  });

  it('truncates 1,000-byte names to at most 255 bytes', () => {
    const out = sanitizeSegment('a'.repeat(1000));
    expect(out).toBe('a'.repeat(255));
    const multi = sanitizeSegment('é'.repeat(500)); // 2 bytes each
    expect(utf8Length(multi)).toBe(254);
  });

  it('never cuts an emoji at the 255-byte boundary', () => {
    // 253 ASCII bytes then a 4-byte emoji: the emoji cannot fit and must go whole.
    const out = sanitizeSegment('a'.repeat(253) + '🎵' + 'b');
    expect(out).toBe('a'.repeat(253));
    // A family emoji (a ZWJ sequence of 25 bytes) is kept or dropped as one grapheme.
    const family = '👨‍👩‍👧‍👦';
    const kept = sanitizeSegment('a'.repeat(230) + family + 'tail');
    expect(kept).toBe('a'.repeat(230) + family);
    const dropped = sanitizeSegment('a'.repeat(240) + family + 'tail');
    expect(dropped).toBe('a'.repeat(240));
  });

  it('cuts inside a single grapheme only when it alone is too long', () => {
    const out = sanitizeSegment('e' + '\u0301'.repeat(300));
    expect(out.startsWith('é')).toBe(true);
    expect(utf8Length(out)).toBe(254); // é (2 bytes) + 126 marks of 2 bytes; 255 would split one
  });

  it('strips dots and spaces exposed by truncation', () => {
    expect(sanitizeSegment('a'.repeat(253) + ' .b')).toBe('a'.repeat(253));
  });
});

describe('sanitizeFileName', () => {
  it('keeps the extension when shortening', () => {
    const out = sanitizeFileName('x'.repeat(1000) + '.flac');
    expect(out).toBe('x'.repeat(250) + '.flac');
    expect(utf8Length(out)).toBe(255);
  });

  it('treats a long or odd "extension" as part of the name', () => {
    const out = sanitizeFileName('x'.repeat(300) + '.not an extension');
    expect(utf8Length(out)).toBeLessThanOrEqual(255);
    expect(out).toBe('x'.repeat(255));
  });

  it('behaves like sanitizeSegment for short names', () => {
    expect(sanitizeFileName('con.flac')).toBe('con_.flac');
    expect(sanitizeFileName('AC/DC: T.N.T..mp3')).toBe('AC_DC - T.N.T..mp3');
    expect(sanitizeFileName('..')).toBe('_');
  });
});

describe('remote paths', () => {
  it.each([
    ['@@abcde\\Music\\Artist\\Album\\01 - Song.flac', 'Album', '01 - Song.flac'],
    ['C:\\Users\\me\\Music\\Song.mp3', 'Music', 'Song.mp3'],
    ['\\\\server\\share\\Rips\\Song.mp3', 'Rips', 'Song.mp3'],
    ['\\\\server\\share\\Song.mp3', '', 'Song.mp3'],
    ['\\\\?\\C:\\Music\\Song.mp3', 'Music', 'Song.mp3'],
    ['\\\\?\\UNC\\server\\share\\Music\\Song.mp3', 'Music', 'Song.mp3'],
    ['/home/me/music/Album/Song.ogg', 'Album', 'Song.ogg'],
    ['Music/Mixed\\Separators/Song.opus', 'Separators', 'Song.opus'],
    ['Song.mp3', '', 'Song.mp3'],
    ['Music\\\\double\\\\Song.mp3', 'double', 'Song.mp3'],
    ['Folder\\', '', 'Folder'],
    ['@@abcde', '', ''],
    ['', '', ''],
    // Traversal names come back as they are; sanitizeSegment is what makes them harmless.
    ['Music\\..\\..\\Song.mp3', '..', 'Song.mp3'],
  ])('%j → parent %j, base %j', (remote, parent, base) => {
    expect(remoteParentName(remote)).toBe(parent);
    expect(remoteBaseName(remote)).toBe(base);
  });

  it('drops the root but keeps every other segment', () => {
    expect(remotePathSegments('@@x\\a\\b\\c.mp3')).toEqual(['a', 'b', 'c.mp3']);
  });
});

// ---- properties ---------------------------------------------------------------------------------

const hostileUnit = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '/',
    '\\',
    '\0',
    '\u0001',
    '\u001f',
    '\u007f',
    '\u0085',
    '\u009b',
    '@@x\\',
    'C:',
    ':',
    '\u202E',
    '\u2066',
    ' ',
    '\t',
    '*',
    '?',
    '"',
    '<',
    '|',
    'con',
    'LPT1',
    'e\u0301',
    '\u0301',
    'é',
    '🎵',
    '👨‍👩‍👧',
    'ß',
    '\uD800',
    '\uDC00',
    'a'.repeat(100),
    'é'.repeat(60),
    '🎵'.repeat(40),
  ),
  fc.string({ unit: 'binary', maxLength: 3 }),
);
const hostile = fc.string({ unit: hostileUnit, maxLength: 12 });

function assertSafeSegment(segment: string): void {
  expect(segment.length).toBeGreaterThan(0);
  expect(segment).not.toBe('.');
  expect(segment).not.toBe('..');
  expect(segment).not.toMatch(/[/\\\0]/);
  expect(utf8Length(segment)).toBeLessThanOrEqual(255);
}

describe('sanitize properties', () => {
  it('keeps every library path inside the root (20,000 runs)', () => {
    const root = path.resolve('/srv/library');
    fc.assert(
      fc.property(
        fc.record({
          artist: hostile,
          albumArtist: fc.option(hostile, { nil: null }),
          album: fc.option(hostile, { nil: undefined }),
          title: hostile,
          trackNumber: fc.option(fc.integer({ min: -5, max: 1000 }), { nil: null }),
          extension: fc.oneof(fc.constantFrom('flac', '.mp3', '../x', ''), hostile),
        }),
        (track) => {
          const segments = libraryRelativePath(track);
          expect(segments).toHaveLength(3);
          segments.forEach(assertSafeSegment);
          const joined = path.resolve(root, ...segments);
          expect(joined.startsWith(root + path.sep)).toBe(true);
          expect(path.relative(root, joined).split(path.sep)).toEqual(segments);
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('is idempotent and always safe (20,000 runs)', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const segment = sanitizeSegment(name);
        const fileName = sanitizeFileName(name);
        assertSafeSegment(segment);
        assertSafeSegment(fileName);
        expect(sanitizeSegment(segment)).toBe(segment);
        expect(sanitizeFileName(fileName)).toBe(fileName);
        expect(segment.normalize('NFC')).toBe(segment);
        // eslint-disable-next-line no-control-regex -- asserting control characters are gone
        expect(segment).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        expect(segment).not.toMatch(/^[ .]|[ .]$/);
      }),
      { numRuns: 20_000 },
    );
  });
});
