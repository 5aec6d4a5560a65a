import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildSearchQueries, normalizeForMatch, stripDecorations } from './query.js';

describe('buildSearchQueries', () => {
  const cases: { artist: string; title: string; expected: string[] }[] = [
    {
      artist: 'Daft Punk',
      title: 'One More Time',
      expected: ['Daft Punk One More Time', 'One More Time'],
    },
    {
      artist: 'Mark Ronson',
      title: 'Uptown Funk (feat. Bruno Mars)',
      expected: [
        'Mark Ronson Uptown Funk feat Bruno Mars',
        'Mark Ronson Uptown Funk',
        'Uptown Funk',
      ],
    },
    {
      artist: 'Calvin Harris ft. Rihanna',
      title: 'This Is What You Came For',
      expected: [
        'Calvin Harris ft Rihanna This Is What You Came For',
        'Calvin Harris This Is What You Came For',
        'This Is What You Came For',
      ],
    },
    {
      artist: 'Queen',
      title: 'Bohemian Rhapsody - Remastered 2011',
      expected: [
        'Queen Bohemian Rhapsody Remastered 2011',
        'Queen Bohemian Rhapsody',
        'Bohemian Rhapsody',
      ],
    },
    // A dash suffix that does not name a version is part of the title.
    {
      artist: 'Band',
      title: 'Part 1 - The Beginning',
      expected: ['Band Part The Beginning', 'Part The Beginning'],
    },
    // Punctuation becomes word breaks; "-" can never start a term (it would exclude results).
    {
      artist: 'AC/DC',
      title: "Rock 'n' Roll Train",
      expected: ['AC DC Rock Roll Train', 'Rock Roll Train'],
    },
    {
      artist: 'Simon & Garfunkel',
      title: 'Mrs. Robinson',
      expected: ['Simon Garfunkel Mrs Robinson', 'Mrs Robinson'],
    },
    { artist: 'Artist', title: '-Intro-', expected: ['Artist Intro', 'Intro'] },
    {
      artist: 'Sigur Rós',
      title: 'Hoppípolla [Live]',
      expected: ['Sigur Rós Hoppípolla Live', 'Sigur Rós Hoppípolla', 'Hoppípolla'],
    },
    // Nested and several bracket groups.
    {
      artist: 'Nu Band',
      title: 'Song (Extended (Club) Mix) [2020] {bonus}',
      expected: ['Nu Band Song Extended Club Mix 2020 bonus', 'Nu Band Song', 'Song'],
    },
    // One-character words vanish ("X Y"), so only the title is left to search for.
    { artist: 'X Y', title: 'Song (Club Mix)', expected: ['Song Club Mix', 'Song'] },
    // A title that is only brackets: the title-only query falls back to its words.
    { artist: 'Band', title: '(Intro)', expected: ['Band Intro', 'Band', 'Intro'] },
    // One-character terms are dropped; nothing usable means no query at all.
    { artist: 'A', title: '?', expected: [] },
    { artist: 'A', title: 'B', expected: [] },
    { artist: '!!!', title: 'Me and Giuliani', expected: ['Me and Giuliani'] },
    // Case-insensitive de-duplication.
    { artist: 'x', title: 'Hello', expected: ['Hello'] },
  ];

  it.each(cases)('$artist – $title', ({ artist, title, expected }) => {
    expect(buildSearchQueries({ artist, title })).toEqual(expected);
  });

  it('never yields an empty query, a term starting with "-", a one-character term or a duplicate', () => {
    const text = fc.string({
      unit: fc.constantFrom(
        'a',
        'B',
        'é',
        ' ',
        '-',
        '(',
        ')',
        '[',
        ']',
        '&',
        "'",
        ':',
        'feat.',
        'x',
        '1',
        '*',
        '"',
      ),
      maxLength: 30,
    });
    fc.assert(
      fc.property(text, text, (artist, title) => {
        const queries = buildSearchQueries({ artist, title });
        expect(new Set(queries.map((q) => q.toLowerCase())).size).toBe(queries.length);
        for (const query of queries) {
          expect(query.trim()).not.toBe('');
          for (const term of query.split(' ')) {
            expect(term).not.toMatch(/^-/);
            expect([...term].length).toBeGreaterThanOrEqual(2);
            expect(term).toMatch(/^[\p{L}\p{N}\p{M}]+$/u);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('stripDecorations', () => {
  it.each([
    ['Song (feat. Someone)', 'Song'],
    ['Song [Remastered]', 'Song'],
    ['Song feat. Someone Else', 'Song'],
    ['Song ft Someone', 'Song'],
    ['Daft Punk', 'Daft Punk'], // "ft" inside a word is not a credit
    ['Song - Live at Wembley', 'Song'],
    ['Song - 2011 Remaster', 'Song'],
    ['Song - Part Two', 'Song - Part Two'],
    ['(Intro)', ''],
  ])('%s → %s', (input, expected) => {
    expect(stripDecorations(input)).toBe(expected);
  });
});

describe('normalizeForMatch', () => {
  it.each([
    ['Beyoncé', 'beyonce'],
    ['  Sigur   Rós ', 'sigur ros'],
    ["Don't Stop Me Now", 'dont stop me now'],
    ['Don’t Stop', 'dont stop'],
    ['Simon & Garfunkel', 'simon and garfunkel'],
    ['P.O.D.', 'pod'],
    ['Mr.Big', 'mr big'],
    ['AC/DC', 'ac dc'],
    ['Motörhead', 'motorhead'],
    ['Straße', 'strasse'],
    ['Røyksopp', 'royksopp'],
    ['ＦＵＬＬＷＩＤＴＨ', 'fullwidth'],
    ['01_-_Track_Name', '01 track name'],
    ['İstanbul', 'istanbul'],
    ['!!!', ''],
  ])('%s → %s', (input, expected) => {
    expect(normalizeForMatch(input)).toBe(expected);
  });

  it('is idempotent and yields only lower-case letters, digits, their marks and single spaces', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const once = normalizeForMatch(text);
        expect(normalizeForMatch(once)).toBe(once);
        expect(once).not.toMatch(/ {2}|^ | $/);
        expect(once).not.toMatch(/[^\p{L}\p{N}\p{M} ]/u);
        // Marks stay only in scripts where they are part of the letter (normalize.ts), never alone.
        expect(once.normalize('NFD')).not.toMatch(
          /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]\p{M}|(?<![\p{L}\p{M}])\p{M}/u,
        );
      }),
      { numRuns: 2000 },
    );
  });
});
