/**
 * Text normalization for matching a wanted track against what peers call their files. Pure.
 *
 * Peers name files every way there is: "01 - Karma Police.flac", "Radiohead_-_Karma_Police.mp3",
 * "A1 Karma Police.flac" (a vinyl rip), "1-06 Karma Police.m4a" (disc 1), full-width letters from
 * an East Asian keyboard, "Sigur Ros" for "Sigur Rós", "Simon + Garfunkel" for "Simon & Garfunkel".
 * Both sides of every comparison go through the same function, so what matters is that equal
 * things become equal text and different things stay different.
 */

// Letters NFKD does not decompose into a base letter plus a mark.
const FOLDED_LETTERS: Record<string, string> = {
  ß: 'ss',
  æ: 'ae',
  œ: 'oe',
  ø: 'o',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};

/**
 * Marks are dropped only from scripts where they are accents a file name often leaves out ("Rós"
 * written "Ros", "Ελλάδα" written "Ελλαδα", "ё" written "е"). In other scripts a mark is part of
 * the letter: Japanese "ガ" is not "カ", Devanagari vowel signs are the vowels. Those keep their
 * marks (recomposed with NFC), so a Japanese or Hindi title matches itself and only itself.
 */
const ACCENTED_BASE = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu;
/** A mark with no letter before it (after a digit, a space, at the start) decorates nothing. */
const STRAY_MARK = /(?<![\p{L}\p{M}])\p{M}+/gu;

// eslint-disable-next-line no-control-regex -- the whole ASCII range, control characters included
const NON_ASCII = /[^\x00-\x7f]/;

/** Credit words, all read as one ("ft." = "feat." = "featuring"). */
const CREDIT_WORD = /(?<![\p{L}\p{N}])(?:featuring|feat|ft)(?![\p{L}\p{N}])/gu;

/**
 * Text for comparing names: lower case, compatibility-decomposed, accents of Latin, Greek and
 * Cyrillic letters removed (other scripts keep their marks), '&' and a lone '+' read as "and",
 * "ft"/"featuring" read as "feat", apostrophes dropped ("Don't" = "Dont"), dotted acronyms joined
 * ("P.O.D." = "POD"), every other non-letter/digit a single space, trimmed. Idempotent.
 */
export function normalizeForMatch(text: string): string {
  // Most peer paths are plain ASCII: one pass over the characters (normalizeAscii) gives the same
  // text as the general rules, several times faster; ranking 25,000 results is mostly this.
  if (!NON_ASCII.test(text)) return normalizeAscii(text);
  const folded = text
    // Lower-cased on both sides of NFKD: lower-casing can produce combining marks ("İ" → "i̇"), and
    // NFKD can produce capitals ("𝜜" → "Α").
    .toLowerCase()
    .normalize('NFKD')
    .replace(ACCENTED_BASE, '$1')
    .replace(STRAY_MARK, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (letter) => FOLDED_LETTERS[letter] ?? letter);
  return NON_ASCII.test(folded) ? normalizeByRules(folded) : normalizeAscii(folded);
}

/** The rules after case and accent folding, as regular expressions (any script). */
export function normalizeByRules(folded: string): string {
  return (
    folded
      .replace(/['’‘`´ʼ]/g, '')
      // A dot between two lone letters is an acronym's ("P.O.D."), not a word break.
      .replace(/(?<=(?:^|[^\p{L}\p{N}])\p{L})\.(?=\p{L}(?:[^\p{L}\p{N}]|$))/gu, '')
      .replace(/&/g, ' and ')
      // "Simon + Garfunkel", "Florence + the Machine"; a '+' inside a word ("C++", "A+B") is not "and".
      .replace(/(?<=^|\s)\+(?=\s|$)/g, ' and ')
      .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
      .replace(CREDIT_WORD, 'feat')
      .trim()
  );
}

const isLetter = (c: number): boolean => c >= 97 && c <= 122;
const isAlnum = (c: number): boolean => isLetter(c) || (c >= 48 && c <= 57);
/** \s in ASCII, or '&' (which the rules turn into " and ", spaces included). */
const isSpaceLike = (c: number): boolean => c === 32 || (c >= 9 && c <= 13) || c === 38;

/** normalizeByRules for ASCII text, in one pass (normalize.test.ts checks they agree). */
export function normalizeAscii(text: string): string {
  const s = (
    text.includes("'") || text.includes('`') ? text.replace(/['`]/g, '') : text
  ).toLowerCase();
  const n = s.length;
  let out = '';
  let gap = false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (isAlnum(c)) {
      if (gap && out.length > 0) out += ' ';
      gap = false;
      out += s[i]!;
      continue;
    }
    if (
      c === 46 &&
      isLetter(s.charCodeAt(i - 1)) &&
      !isAlnum(s.charCodeAt(i - 2)) &&
      isLetter(s.charCodeAt(i + 1)) &&
      !isAlnum(s.charCodeAt(i + 2))
    ) {
      continue; // an acronym's dot: "p.o.d" reads "pod"
    }
    const loneAnd =
      c === 38 ||
      (c === 43 &&
        (i === 0 || isSpaceLike(s.charCodeAt(i - 1))) &&
        (i === n - 1 || isSpaceLike(s.charCodeAt(i + 1))));
    if (loneAnd) out += out.length > 0 ? ' and' : 'and';
    gap = true;
  }
  return out.includes('ft') || out.includes('feat') ? out.replace(CREDIT_WORD, 'feat') : out;
}

/**
 * A normalized file name without its track-number prefix: "01 ", "01. ", "1-01 ", "A1 ", "CD2-03 ",
 * "101 " (disc 1, track 01) all go. Returns the input when nothing is left (a title that is only a
 * number, "1979", is its own name).
 */
export function stripTrackNumber(normalizedStem: string): string {
  const rest = normalizedStem.replace(/^(?:(?:cd|disc|disk) ?\d{1,2} )?(?:[a-h]?\d{1,3} )+/, '');
  return rest.length > 0 ? rest : normalizedStem;
}

/** A remote path taken apart for matching: normalized folder names, file name stem and extension. */
export interface RemotePath {
  /** Normalized folder names, outermost first; a share alias ("@@alice") and drive ("C:") dropped. */
  folders: string[];
  /** Normalized file name without its extension. */
  stem: string;
  /** Lower-case extension without the dot, '' when there is none. */
  extension: string;
}

/**
 * Soulseek paths use backslashes (Windows peers) or slashes, and slskd prefixes a share's alias as
 * "@@name". The alias is a name the peer chose for a shared root, not the name of a release: it
 * is not matched (a share called "@@live-sets" says nothing about one file in it).
 */
export function parseRemotePath(
  remote: string,
  /** For folder names, which repeat across a search's results (memoNormalize). */
  normalizeFolder: (text: string) => string = normalizeForMatch,
): RemotePath {
  const parts = (remote.includes('/') ? remote.split(/[\\/]/) : remote.split('\\')).filter(
    (part) => part.length > 0,
  );
  const baseName = parts.pop() ?? '';
  const dot = baseName.lastIndexOf('.');
  const folders = parts
    .filter((part, i) => !(i === 0 && (part.startsWith('@@') || /^[a-z]:$/i.test(part))))
    .map(normalizeFolder)
    .filter((part) => part.length > 0);
  return {
    folders,
    stem: normalizeForMatch(dot > 0 ? baseName.slice(0, dot) : baseName),
    extension: dot > 0 ? baseName.slice(dot + 1).toLowerCase() : '',
  };
}

/**
 * Shortest needle, spaces removed, that may match words written together: "AC/DC" as "ACDC" (4).
 * Shorter ones ("I Am" = "iam", "A Ha" = "aha") are ordinary words too often.
 */
const MIN_JOINED_LENGTH = 4;

/** Whether normalized `needle` occurs in normalized `haystack` as whole words. */
export function containsPhrase(haystack: string, needle: string): boolean {
  if (needle.length === 0) return false;
  if (` ${haystack} `.includes(` ${needle} `)) return true;
  // "AC/DC" vs "ACDC", "Daft Punk" vs "DaftPunk": only for multi-word needles, so a one-word artist
  // like "Air" does not match inside "Fair"; and only as whole words of the haystack written
  // together, so "I Am" is not found in "William" nor "A Ha" in "Bahamas".
  if (!needle.includes(' ')) return false;
  const joined = needle.replace(/ /g, '');
  if (joined.length < MIN_JOINED_LENGTH || !haystack.replace(/ /g, '').includes(joined)) {
    return false;
  }
  return joinedWordRun(haystack.split(' '), joined);
}

/** Whether some run of consecutive `words`, written together, is exactly `joined`. */
function joinedWordRun(words: string[], joined: string): boolean {
  for (let start = 0; start < words.length; start++) {
    let run = '';
    for (let i = start; i < words.length && run.length < joined.length; i++) {
      run += words[i]!;
      if (!joined.startsWith(run)) break;
      if (run.length === joined.length) return true;
    }
  }
  return false;
}

/**
 * normalizeForMatch with a memory, for one ranking's folder names: a search's results repeat the
 * same folders (one peer's album is twelve files in one folder). File names are mostly unique, and
 * remembering them costs more than it saves. Bounded, so it cannot grow without limit.
 */
export function memoNormalize(limit = 100_000): (text: string) => string {
  const seen = new Map<string, string>();
  return (text) => {
    let out = seen.get(text);
    if (out === undefined) {
      if (seen.size >= limit) seen.clear();
      out = normalizeForMatch(text);
      seen.set(text, out);
    }
    return out;
  };
}
