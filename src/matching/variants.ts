/**
 * Version words ("remix", "live", "karaoke" …): the table, and the fast tests the ranking asks of
 * each of up to 25,000 file names. Pure.
 */

/**
 * Versions of a recording that are not the recording, as words of normalized text. A file is
 * rejected for one unless the request itself names it (as often as the path does), in its file
 * name, its tags or any of its folders ("Live at Wembley\03 - Song.flac").
 *
 * Not here, on purpose: "remaster(ed)", "deluxe", "anniversary", "mono"/"stereo", "album version",
 * "original mix". A remaster is the same recording (same take, same length) with new mastering, and
 * most of what peers share of older albums is one; rejecting it would leave many requests with
 * nothing. The order decides which reason a file with several words gets: the first that applies.
 */
export const VARIANTS: { name: string; pattern: RegExp }[] = [
  {
    name: 'remix',
    pattern:
      /(?<![^ ])(?:remix|remixes|remixed|re mix|rmx|(?:club|dub|vip|extended|dance|12|12 inch) mix|rework|reworked)(?![^ ])/g,
  },
  { name: 'live', pattern: /(?<![^ ])(?:live|en vivo|ao vivo)(?![^ ])/g },
  {
    name: 'karaoke',
    pattern:
      /(?<![^ ])(?:karaoke|in the style of|made famous by|originally performed by|backing tracks?)(?![^ ])/g,
  },
  { name: 'instrumental', pattern: /(?<![^ ])(?:instrumentals?|instr|inst)(?![^ ])/g },
  {
    name: 'acapella',
    pattern: /(?<![^ ])(?:acapellas?|acappellas?|a cappella|a capella)(?![^ ])/g,
  },
  { name: 'cover', pattern: /(?<![^ ])(?:covers?|covered by)(?![^ ])/g },
  { name: 'edit', pattern: /(?<![^ ])edit(?![^ ])/g },
  { name: 'demo', pattern: /(?<![^ ])demos?(?![^ ])/g },
  { name: 'sped up', pattern: /(?<![^ ])(?:sped up|speed up|spedup)(?![^ ])/g },
  { name: 'slowed', pattern: /(?<![^ ])slowed(?![^ ])/g },
  { name: 'nightcore', pattern: /(?<![^ ])nightcore(?![^ ])/g },
  // Kept after the older words, so a file one of those rejected keeps its reason.
  { name: 'tribute', pattern: /(?<![^ ])(?:tribute|tributes|lullaby|lullabies)(?![^ ])/g },
  { name: 'acoustic', pattern: /(?<![^ ])(?:acoustic|unplugged)(?![^ ])/g },
  { name: 'extended', pattern: /(?<![^ ])extended(?![^ ])/g },
  { name: 'bootleg', pattern: /(?<![^ ])(?:bootlegs?|mashup|mash up)(?![^ ])/g },
  { name: 'reprise', pattern: /(?<![^ ])reprise(?![^ ])/g },
  { name: 'session', pattern: /(?<![^ ])(?:bbc|peel|maida vale) sessions?(?![^ ])/g },
];

// variantMask keeps one bit per variant in a 32-bit integer.
if (VARIANTS.length > 31) throw new Error('VARIANTS outgrew variantMask: use two masks');

/** Any variant word at all: most files have none, and then one test replaces all of them. */
export const ANY_VARIANT = new RegExp(VARIANTS.map((v) => v.pattern.source).join('|'));

/** Every variant word, to take them all out of a text. */
const ALL_VARIANTS = new RegExp(ANY_VARIANT.source, 'g');

/** How often a global pattern matches `text` (as text.match(pattern).length), no arrays made. */
export function count(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0;
  let n = 0;
  while (pattern.test(text)) n++;
  return n;
}

/** Whether `text` is nothing but version words (a song or an album called "Live"). */
export function onlyVariants(text: string): boolean {
  return text.replace(ALL_VARIANTS, '').trim() === '';
}

/** Bit i set: `text` names VARIANTS[i] more often than `limits[i]`. One test when it names none. */
export function variantMask(text: string, limits: readonly number[]): number {
  if (text === '' || !hasVariant(text)) return 0;
  let mask = 0;
  for (let i = 0; i < VARIANTS.length; i++) {
    if (count(text, VARIANTS[i]!.pattern) > limits[i]!) mask |= 1 << i;
  }
  return mask;
}

/**
 * The body of a VARIANTS pattern: its source without the word-boundary lookarounds every one of
 * them has (checked here, so a pattern written otherwise fails at load, not silently).
 */
function bodyOf(pattern: RegExp): string {
  const before = '(?<![^ ])';
  const after = '(?![^ ])';
  const source = pattern.source;
  if (!source.startsWith(before) || !source.endsWith(after)) {
    throw new Error(`VARIANTS pattern ${source} is not bounded by (?<![^ ]) … (?![^ ])`);
  }
  return source.slice(before.length, source.length - after.length);
}

/**
 * ANY_VARIANT.test, several times faster. ANY_VARIANT puts a lookbehind before each of its
 * alternatives, so V8 tries all of them at every position of the text; here a word start (the
 * text's start or a space) is found first and only there are the words tried. The same answer:
 * "preceded by nothing or a space" is "after the start or a space" (consumed here, which a test
 * does not mind), and "followed by nothing or a space" is the same lookahead written positively.
 * variants.test.ts holds the two to each other.
 */
const VARIANT_WORD = new RegExp(
  `(?:^| )(?:${VARIANTS.map((v) => bodyOf(v.pattern)).join('|')})(?= |$)`,
);

/** ANY_VARIANT.test(text): some version word is in `text`. */
export function hasVariant(text: string): boolean {
  return VARIANT_WORD.test(text);
}

/**
 * Every text a pattern body matches: words, `(?:a|b)` groups and `?` after a letter or a group,
 * which is all VARIANTS use; anything else throws at load (then this needs teaching).
 */
export function expandBody(body: string): string[] {
  let at = 0;
  const alternatives = (): string[] => {
    const out = sequence();
    while (body[at] === '|') {
      at++;
      out.push(...sequence());
    }
    return out;
  };
  const sequence = (): string[] => {
    let texts = [''];
    while (at < body.length && body[at] !== '|' && body[at] !== ')') {
      let atom: string[];
      if (body.startsWith('(?:', at)) {
        at += 3;
        atom = alternatives();
        if (body[at++] !== ')') throw new Error(`unclosed group in ${body}`);
      } else if (/[a-z0-9 ]/.test(body[at]!)) {
        atom = [body[at++]!];
      } else {
        throw new Error(`variants.ts cannot expand ${body} (at ${at})`);
      }
      if (body[at] === '?') {
        at++;
        atom.push('');
      }
      texts = texts.flatMap((text) => atom.map((part) => text + part));
    }
    return texts;
  };
  const out = alternatives();
  if (at !== body.length) throw new Error(`variants.ts cannot expand ${body} (at ${at})`);
  return out;
}

/** The words of every version phrase of more than one word ("re mix", "in the style of"). */
export const PHRASE_WORDS: readonly string[] = [
  ...new Set(
    VARIANTS.flatMap((v) => expandBody(bodyOf(v.pattern)))
      .filter((text) => text.includes(' '))
      .flatMap((text) => text.split(' ')),
  ),
].sort();

const PHRASE_WORD = new RegExp(`(?:^| )(?:${PHRASE_WORDS.join('|')})(?= |$)`);

/**
 * Whether taking whole words out of `text`, which names no version word (hasVariant false), can
 * leave one: only by joining the words around what was taken into a phrase of several words ("re
 * <title> mix"), so only when `text` has a word of such a phrase. A one-word version word left
 * over would have been in `text` already (taking words out makes no new word). Most file names
 * ("06 karma police") have none: then the names need not be taken out of them at all.
 */
export function mayJoinVariant(text: string): boolean {
  return PHRASE_WORD.test(text);
}
