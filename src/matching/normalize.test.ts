import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  containsPhrase,
  normalizeAscii,
  normalizeByRules,
  normalizeForMatch,
  parseRemotePath,
  stripTrackNumber,
} from './normalize.js';

describe('normalizeForMatch: equal things become equal text', () => {
  it.each([
    ['Simon + Garfunkel', 'Simon & Garfunkel'],
    ['Florence + the Machine', 'Florence and the Machine'],
    ['Song ft. Someone', 'Song feat Someone'],
    ['Song (featuring Someone)', 'Song [Feat. Someone]'],
    ['Björk', 'Bjork'],
    ['Ελλάδα', 'ελλαδα'],
    ['Ёлка', 'елка'],
    ['ＲＡＤＩＯＨＥＡＤ', 'radiohead'],
    // Half-width katakana is the same text as full-width (NFKC compatibility).
    ['ｶﾗｽ', 'カラス'],
    ['Guns N’ Roses', "Guns N' Roses"],
  ])('%s = %s', (a, b) => {
    expect(normalizeForMatch(a)).toBe(normalizeForMatch(b));
  });
});

describe('normalizeForMatch: different things stay different', () => {
  it.each([
    // A voiced mark is part of a Japanese letter: ガラス (glass) is not カラス (crow).
    ['ガラス', 'カラス'],
    // Devanagari vowel signs are the vowels.
    ['दिल', 'दल'],
    // A '+' inside a word is not "and".
    ['C++', 'C and'],
    ['Daft Punk', 'Da Punk'],
  ])('%s ≠ %s', (a, b) => {
    expect(normalizeForMatch(a)).not.toBe(normalizeForMatch(b));
  });

  it('keeps non-Latin scripts matching themselves', () => {
    for (const text of ['ガラスの少年', '사랑해', 'दिल से', 'Любовь', 'שלום', '愛してる']) {
      const once = normalizeForMatch(text);
      expect(once.length).toBeGreaterThan(0);
      expect(containsPhrase(normalizeForMatch(`01 - ${text} (Remastered)`), once)).toBe(true);
    }
  });
});

describe('stripTrackNumber', () => {
  it.each([
    ['01 Karma Police', 'karma police'],
    ['01. Karma Police', 'karma police'],
    ['01 - Karma Police', 'karma police'],
    ['1-06 Karma Police', 'karma police'],
    ['A1 Karma Police', 'karma police'],
    ['CD2-03 Karma Police', 'karma police'],
    ['Disc 1 - 06 - Karma Police', 'karma police'],
    ['1979', '1979'],
    ['Karma Police', 'karma police'],
  ])('%s → %s', (stem, expected) => {
    expect(stripTrackNumber(normalizeForMatch(stem))).toBe(expected);
  });
});

describe('parseRemotePath', () => {
  it('takes Windows, slash and @@ share paths apart, dropping the alias and the drive', () => {
    expect(parseRemotePath('@@live-sets\\Radiohead\\OK Computer\\06 - Karma Police.FLAC')).toEqual({
      folders: ['radiohead', 'ok computer'],
      stem: '06 karma police',
      extension: 'flac',
    });
    expect(parseRemotePath('C:\\Users\\bob\\Music\\Song.mp3')).toEqual({
      folders: ['users', 'bob', 'music'],
      stem: 'song',
      extension: 'mp3',
    });
    expect(parseRemotePath('music/Radiohead//Karma Police')).toEqual({
      folders: ['music', 'radiohead'],
      stem: 'karma police',
      extension: '',
    });
  });
});

describe('normalizeAscii', () => {
  it('gives exactly what the general rules give, for any ASCII text', () => {
    // Biased towards the characters the rules treat specially.
    const char = fc.oneof(
      fc.constantFrom(...".&+'` \t-_()[]/\\ftfeatfeaturingandP.O.D.a1"),
      fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)),
    );
    fc.assert(
      fc.property(fc.array(char, { maxLength: 30 }), (chars) => {
        const text = chars.join('');
        expect(normalizeAscii(text)).toBe(normalizeByRules(text.toLowerCase()));
      }),
      { numRuns: 5000 },
    );
  });

  it.each([
    ['P.O.D. - Youth of the Nation', 'pod youth of the nation'],
    ["Guns N' Roses", 'guns n roses'],
    ['Simon + Garfunkel & Friends', 'simon and garfunkel and friends'],
    ['C++ +', 'c and'],
    ['Song_(ft._Someone)', 'song feat someone'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeForMatch(input)).toBe(expected);
  });
});
