import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withoutPhrase } from './normalize.js';

/** The plain definition withoutPhrase stands for. */
function reference(text: string, phrase: string): string {
  if (phrase === '' || !text.includes(phrase)) return text;
  return ` ${text} `.split(` ${phrase} `).join(' ');
}

// Few words and single or double spaces, so occurrences touch, repeat and sit at the ends.
const word = fc.constantFrom('a', 'ab', 'b', 'ok', 'ok ok', 'a b', '');
const text = fc
  .array(fc.tuple(word, fc.constantFrom(' ', ' ', '  ', '')), { maxLength: 7 })
  .map((parts) => parts.map(([w, space]) => w + space).join(''));

describe('withoutPhrase', () => {
  it('takes a phrase out exactly as the padded split and join do', () => {
    fc.assert(
      fc.property(text, word, (t, phrase) => {
        expect(withoutPhrase(t, phrase)).toBe(reference(t, phrase));
      }),
      { numRuns: 5000 },
    );
  });

  it('joins what is around an occurrence with one space and keeps the padding', () => {
    expect(withoutPhrase('re karma police mix', 'karma police')).toBe(' re mix ');
    expect(withoutPhrase('a a', 'a')).toBe(' a ');
    expect(withoutPhrase('karma policeman', 'karma police')).toBe(' karma policeman ');
  });
});
