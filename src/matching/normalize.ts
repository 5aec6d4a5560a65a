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
  const ascii = asciiPass(text);
  if (ascii !== undefined) return ascii;
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
  return asciiPass(folded) ?? normalizeByRules(folded);
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
  return asciiPass(text) ?? normalizeByRules(text.toLowerCase());
}

/**
 * Where asciiPass writes: one buffer reused by every call (the ranking calls it for each of up to
 * 25,000 file names), so a name costs one string, the result, and not one per character or word.
 * Grown when a longer text comes; an output is at most 5 bytes per input character ("&" → " and").
 */
let scratch = Buffer.allocUnsafe(1024);

/**
 * normalizeAscii's one pass: lower case, runs of letters and digits kept, everything else one
 * space, acronym dots and apostrophes dropped, '&' and a lone '+' read as "and", credit words read
 * as "feat". undefined for text that is not plain ASCII (the general rules apply). Reads
 * text[from, to) as if it were the whole text: a file name's stem is normalized in place, without
 * the slice (a string per file) that would only be read once.
 */
function asciiPass(text: string, from = 0, to = text.length): string | undefined {
  const n = to - from;
  if (scratch.length < 5 * n + 8) scratch = Buffer.allocUnsafe(5 * n + 8);
  const out = scratch;
  let length = 0;
  let gap = false;
  let credit = false; // a word starts with "f": it may be "ft", "feat", "featuring"
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    if (code > 127) return undefined;
    // Two table reads, not the comparisons of lower and isAlnum: this loop is the ranking's
    // busiest (every character of every file name), and the tables keep its numbers small
    // integers (lower also sees NaN past a text's ends, below, which would make them doubles).
    const c = ASCII_LOWER[code]!;
    if (ASCII_ALNUM[code] === 1) {
      if (gap && length > 0) out[length++] = SPACE;
      gap = false;
      if (c === 102 && (length === 0 || out[length - 1] === SPACE)) credit = true;
      out[length++] = c;
      continue;
    }
    // Apostrophes are taken out before the rules look at neighbours: the plain way, rare.
    if (c === 39 || c === 96) return asciiPass(text.slice(from, to).replace(/['`]/g, ''));
    if (
      c === 46 &&
      isLetter(lower(codeIn(text, i - 1, from, to))) &&
      !isAlnum(lower(codeIn(text, i - 2, from, to))) &&
      isLetter(lower(codeIn(text, i + 1, from, to))) &&
      !isAlnum(lower(codeIn(text, i + 2, from, to)))
    ) {
      continue; // an acronym's dot: "p.o.d" reads "pod"
    }
    const loneAnd =
      c === 38 ||
      (c === 43 &&
        (i === from || isSpaceLike(text.charCodeAt(i - 1))) &&
        (i === to - 1 || isSpaceLike(text.charCodeAt(i + 1))));
    if (loneAnd) {
      if (length > 0) out[length++] = SPACE;
      out[length++] = 97;
      out[length++] = 110;
      out[length++] = 100;
    }
    gap = true;
  }
  const result = latin1(out, length);
  return credit ? result.replace(CREDIT_WORD, 'feat') : result;
}

/**
 * out.toString('latin1', 0, length) through the Buffer method it ends in: toString's checks of its
 * arguments were a tenth of this pass, once per file name. The plain call if a Node lacks it.
 */
const latin1: (out: Buffer, length: number) => string =
  typeof (Buffer.prototype as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (out, length) =>
        (out as Buffer & { latin1Slice(start: number, end: number): string }).latin1Slice(0, length)
    : (out, length) => out.toString('latin1', 0, length);

/** text.charCodeAt(i) within [from, to); NaN outside, as past a whole text's ends. */
function codeIn(text: string, i: number, from: number, to: number): number {
  return i >= from && i < to ? text.charCodeAt(i) : Number.NaN;
}

/**
 * normalizeForMatch(text.slice(from, to)), without making the slice when the text is plain ASCII
 * (most file names): the ranking normalizes every file name's stem once.
 */
export function normalizeRange(text: string, from: number, to: number): string {
  return asciiPass(text, from, to) ?? normalizeForMatch(text.slice(from, to));
}

/** ASCII lower case of a character code (NaN, past either end of a text, stays NaN). */
const lower = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

/** lower and isAlnum(lower) of each ASCII code, for asciiPass's loop. */
const ASCII_LOWER = Uint8Array.from({ length: 128 }, (_, c) => lower(c));
const ASCII_ALNUM = Uint8Array.from({ length: 128 }, (_, c) => (isAlnum(lower(c)) ? 1 : 0));

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
 * Where a remote path's file name starts, minus one: its last separator (a backslash, or a slash),
 * -1 when it has none. The folders are everything before it, the same as parseRemotePath splits.
 */
export function lastSeparator(remote: string): number {
  // A loop, not lastIndexOf: V8 runs lastIndexOf in its runtime, a slow call for a short scan.
  let i = remote.length - 1;
  while (i >= 0 && !isSeparator(remote.charCodeAt(i))) i--;
  return i;
}

/** Backslash or slash. */
export const isSeparator = (c: number): boolean => c === 92 || c === 47;

/**
 * Folder names of a remote path's directory part (what is before lastSeparator), as
 * parseRemotePath takes them: split on backslashes (and slashes, when there are any), empty parts
 * left out, a share alias or drive dropped when it is the first (unless `dropRoot` is false: the
 * caller already took it off), each normalized.
 */
export function parseFolders(
  directory: string,
  normalizeFolder: (text: string) => string,
  dropRoot = true,
): string[] {
  const parts = (directory.includes('/') ? directory.split(/[\\/]/) : directory.split('\\')).filter(
    (part) => part.length > 0,
  );
  return parts
    .filter((part, i) => !(dropRoot && i === 0 && isShareRoot(part)))
    .map(normalizeFolder)
    .filter((part) => part.length > 0);
}

/** A share alias ("@@alice") or a drive ("C:"): a name for a root, not a release. */
export function isShareRoot(part: string): boolean {
  return part.startsWith('@@') || /^[a-z]:$/i.test(part);
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
    .filter((part, i) => !(i === 0 && isShareRoot(part)))
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

/**
 * Whether normalized `needle` occurs in normalized `haystack` as whole words. Index arithmetic, no
 * strings built: the ranking asks this several times for each of up to 25,000 results. It answers
 * exactly as ` ${haystack} `.includes(` ${needle} `) and then the joined-words rule below (the
 * reference in test/helpers/ranking-reference.ts; normalize.test.ts checks they agree).
 */
export function containsPhrase(haystack: string, needle: string): boolean {
  if (needle.length === 0) return false;
  if (hasWholeWords(haystack, needle)) return true;
  // "AC/DC" vs "ACDC", "Daft Punk" vs "DaftPunk": only for multi-word needles, so a one-word artist
  // like "Air" does not match inside "Fair"; and only as whole words of the haystack written
  // together, so "I Am" is not found in "William" nor "A Ha" in "Bahamas".
  if (!needle.includes(' ')) return false;
  return joinedWordRun(haystack, needle);
}

/** ` ${haystack} `.includes(` ${needle} `): an occurrence bounded by spaces or the ends. */
function hasWholeWords(haystack: string, needle: string): boolean {
  const end = haystack.length - needle.length;
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (
      (at === 0 || haystack.charCodeAt(at - 1) === SPACE) &&
      (at === end || haystack.charCodeAt(at + needle.length) === SPACE)
    ) {
      return true;
    }
    if (at >= end) return false;
  }
  return false;
}

export const SPACE = 32;

/**
 * Whether some run of consecutive words of `haystack` (split on single spaces), written together,
 * is exactly `needle` with its spaces removed (at least MIN_JOINED_LENGTH characters).
 */
function joinedWordRun(haystack: string, needle: string): boolean {
  let length = 0;
  for (let i = 0; i < needle.length; i++) if (needle.charCodeAt(i) !== SPACE) length++;
  if (length < MIN_JOINED_LENGTH) return false;
  const n = haystack.length;
  for (let start = 0; start < n; start++) {
    // A run starts at a word's first letter (an empty word, from two spaces, adds nothing to it).
    if (haystack.charCodeAt(start) === SPACE) continue;
    if (start > 0 && haystack.charCodeAt(start - 1) !== SPACE) continue;
    let at = start;
    let matched = 0;
    for (let j = 0; j < needle.length && at <= n; j++) {
      const want = needle.charCodeAt(j);
      if (want === SPACE) continue;
      while (at < n && haystack.charCodeAt(at) === SPACE) at++;
      if (at >= n || haystack.charCodeAt(at) !== want) break;
      at++;
      matched++;
    }
    // The run must end where a word ends, not inside one ("daftpunks" is not "daft punk").
    if (matched === length && (at === n || haystack.charCodeAt(at) === SPACE)) return true;
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

/**
 * `text` with every whole-word `phrase` taken out: exactly ` ${text} `.split(` ${phrase} `).join(' ')
 * (without-phrase.test.ts holds them to each other), without the padded copy, the array and its
 * pieces: a file name with a version word goes through this for each of the request's names.
 * Occurrences are the split's: left to right, bounded by spaces or the ends, and not sharing the
 * space between two (after one ending at e, the next starts at e + 2 or later).
 */
export function withoutPhrase(text: string, phrase: string): string {
  if (phrase === '' || !text.includes(phrase)) return text;
  const n = text.length;
  const length = phrase.length;
  let out = '';
  // In the padded text's positions: `start` is where the piece after the last occurrence begins.
  let start = 0;
  for (let at = text.indexOf(phrase); at >= 0;) {
    const bounded =
      (at === 0 || text.charCodeAt(at - 1) === SPACE) &&
      (at + length === n || text.charCodeAt(at + length) === SPACE);
    if (!bounded) {
      at = text.indexOf(phrase, at + 1);
      continue;
    }
    // The separator ` ${phrase} ` occupies padded positions [at, at + length + 2).
    out += `${paddedSlice(text, start, at)} `;
    start = at + length + 2;
    at = start <= n ? text.indexOf(phrase, start) : -1;
  }
  return out + paddedSlice(text, start, n + 2);
}

/** ` ${text} `.slice(from, to), without the padded copy. */
function paddedSlice(text: string, from: number, to: number): string {
  if (from >= to) return '';
  const n = text.length;
  const inner = text.slice(Math.max(from, 1) - 1, Math.min(to, n + 1) - 1);
  return (from === 0 ? ' ' : '') + inner + (to === n + 2 ? ' ' : '');
}
