import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ANY_VARIANT,
  expandBody,
  hasVariant,
  mayJoinVariant,
  PHRASE_WORDS,
  VARIANTS,
} from './variants.js';

// Words of version phrases, their parts, near misses and ordinary words: what the fast tests could
// get wrong is a phrase's words apart, together, at the text's ends and doubled spaces.
const words = [
  ...PHRASE_WORDS,
  'remix',
  'live',
  'lives',
  'remixx',
  'karma',
  'police',
  '06',
  'inch',
  'sessions',
  'tracks',
  'cappella',
  'xre',
  'mixx',
  '',
];
const text = fc.array(fc.constantFrom(...words), { maxLength: 8 }).chain((parts) =>
  fc
    .array(fc.constantFrom(' ', ' ', ' ', '  '), {
      minLength: Math.max(0, parts.length - 1),
      maxLength: Math.max(0, parts.length - 1),
    })
    .map((gaps) => parts.map((part, i) => (i === 0 ? part : gaps[i - 1]! + part)).join('')),
);

describe('version word tests', () => {
  it('hasVariant answers as ANY_VARIANT.test', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(hasVariant(t)).toBe(ANY_VARIANT.test(t));
      }),
      { numRuns: 20_000 },
    );
    for (const t of ['', ' ', 're mix', 'a re mix', 'remix ', ' live', 'xlive', 'live-x']) {
      expect(hasVariant(t)).toBe(ANY_VARIANT.test(t));
    }
  });

  it('the expansion of each pattern is exactly what the pattern matches as a whole', () => {
    for (const { pattern } of VARIANTS) {
      const body = pattern.source.replace(/^\(\?<!\[\^ \]\)/, '').replace(/\(\?!\[\^ \]\)$/, '');
      const whole = new RegExp(`^(?:${body})$`);
      const texts = expandBody(body);
      expect(texts.length).toBeGreaterThan(0);
      for (const t of texts) expect(whole.test(t)).toBe(true);
    }
    expect(expandBody('(?:a|b c)d?')).toEqual(['ad', 'a', 'b cd', 'b c']);
    expect(() => expandBody('a+')).toThrow();
    expect(PHRASE_WORDS).toEqual(expect.arrayContaining(['re', 'mix', 'in', 'style', 'vale']));
    expect(PHRASE_WORDS).not.toContain('remix');
  });

  it('taking words out of a text without variants and phrase words leaves no variant', () => {
    fc.assert(
      fc.property(text, fc.array(fc.boolean(), { maxLength: 8 }), (t, drop) => {
        if (hasVariant(t)) return;
        const rest = t
          .split(' ')
          .filter((_, i) => !drop[i])
          .join(' ');
        // Whenever a removal made a version word, mayJoinVariant said it might.
        if (hasVariant(rest)) expect(mayJoinVariant(t)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    expect(mayJoinVariant('06 karma police 123')).toBe(false);
    expect(mayJoinVariant('re karma police mix')).toBe(true);
  });
});
