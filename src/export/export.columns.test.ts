import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, csvLine, escapeCell, EXPORT_COLUMN_NAMES } from './export.columns.js';

describe('escapeCell (CSV formula injection)', () => {
  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ['+1+1', `'+1+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\t=1', `'\t=1`],
    ['\r=1', `'\r=1`],
    ['\n=1', `'\n=1`],
    // Blanks first: a trimming import (LibreOffice) would still see the formula.
    [' =1', `' =1`],
    ['\u00a0\u3000+1', `'\u00a0\u3000+1`],
    // A mixed run of blanks and controls, or invisible format characters (zero-width space,
    // BOM, bidi marks) before the sign: stripped or unseen, they leave the formula.
    [' \t=1', `' \t=1`],
    ['\u00a0\r\n+1', `'\u00a0\r\n+1`],
    ['\u200b=1', `'\u200b=1`],
    ['\ufeff+1', `'\ufeff+1`],
    ['\u202e\u200d@SUM(A1)', `'\u202e\u200d@SUM(A1)`],
    ['\u200bArtist', '\u200bArtist'],
    // Full-width signs, as a CJK input method types them.
    ['＝1+1', `'＝1+1`],
    ['＋1', `'＋1`],
    ['－1', `'－1`],
    ['＠SUM(A1)', `'＠SUM(A1)`],
    ['Artist', 'Artist'],
    ['  Artist = x', '  Artist = x'],
    ["'quoted", "'quoted"],
    ['a=b', 'a=b'],
    ['', ''],
    [null, null],
    [-5, -5],
    [42, 42],
  ])('%j → %j', (value, expected) => expect(escapeCell(value)).toBe(expected));
});

describe('export columns', () => {
  it('are the documented set, in order (add new ones at the end only)', () => {
    expect(EXPORT_COLUMN_NAMES).toEqual([
      'id',
      'status',
      'hold',
      'artist',
      'title',
      'album',
      'albumArtist',
      'trackNumber',
      'discNumber',
      'year',
      'genre',
      'durationSeconds',
      'priority',
      'retryCount',
      'errorCode',
      'errorMessage',
      'format',
      'provider',
      'peer',
      'sourceFilename',
      'bitRate',
      'sampleRate',
      'bitDepth',
      'size',
      'bytesTransferred',
      'transferSpeed',
      'transcodeCheck',
      'libraryPath',
      'createdAt',
      'completedAt',
      'updatedAt',
    ]);
  });
});

describe('csvLine', () => {
  it('round-trips any cells through a CSV parser', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ unit: 'grapheme' }),
            fc.constantFrom('"', ',', '\r\n', '\n', '\r', '""'),
          ),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        (cells) => {
          const parsed = parse(csvLine(cells) + csvLine(cells), {
            relax_column_count: false,
          }) as string[][];
          expect(parsed).toEqual([cells, cells]);
        },
      ),
    );
  });

  it('writes null as an empty field and numbers as numbers', () => {
    expect(csvLine([null, -5, 1.5, 'a'])).toBe(',-5,1.5,a\r\n');
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
  });
});
