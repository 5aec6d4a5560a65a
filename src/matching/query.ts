/**
 * Search texts for a wanted track, and the text normalization that ranking compares names with.
 *
 * Soulseek search is word-based: peers split their own file names on punctuation and match every
 * word of the query as a substring, and slskd drops one-character words. A word that starts with '-'
 * EXCLUDES results containing it, and '*' is a wildcard. So a query is a list of plain words made of
 * letters and digits only; everything else becomes a word break.
 */

export interface TrackQueryInput {
  artist: string;
  title: string;
  /** Accepted for callers' convenience; not used in track queries (album-folder search comes later). */
  album?: string | null;
}

// "feat. X", "ft X", "featuring X" up to the end of the text: credits a guest, rarely in file names.
const FEATURING = /(?<![\p{L}\p{N}])(?:feat|ft|featuring)(?![\p{L}\p{N}]).*$/iu;

// A trailing " - Remastered 2011" style suffix, as streaming services write versions. Only removed
// when it names a version, so a title like "Part 1 - The Beginning" keeps its second half.
const VERSION_SUFFIX =
  /\s+[-–—]\s+[^-–—]*\b(?:remaster(?:ed)?|version|edit|mix|mono|stereo|live|single|bonus|demo|deluxe|radio|acoustic|anniversary|\d{4})\b[^-–—]*$/iu;

/**
 * Removes bracketed parts, "feat. …" credits and a trailing version suffix: what is left is the
 * core of a title or an artist. May return an empty string (e.g. for "(Intro)").
 */
export function stripDecorations(text: string): string {
  let out = text;
  // Innermost brackets first, repeated, so nested and adjacent groups all go.
  for (let previous = ''; previous !== out;) {
    previous = out;
    out = out.replace(/\([^()]*\)|\[[^[\]]*\]|\{[^{}]*\}/g, ' ');
  }
  out = out.replace(FEATURING, ' ').replace(VERSION_SUFFIX, ' ');
  return out.replace(/\s+/g, ' ').trim();
}

/** Search words of a text: letters/digits runs, at least two characters long. */
function searchTerms(text: string): string[] {
  return text
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .split(' ')
    .filter((term) => [...term].length >= 2);
}

/**
 * A user's free search text as Soulseek can take it: its words of two or more letters or digits,
 * nothing else ('-' would exclude, '*' is a wildcard). Empty when no such word is left.
 */
export function freeSearchText(text: string): string {
  return searchTerms(text).join(' ');
}

/**
 * Ordered, de-duplicated search texts to try in turn: "artist title", then the same without
 * brackets/feat credits, then the cleaned title alone. Never returns an empty text; may return an
 * empty list when nothing usable is left (e.g. artist "A", title "?").
 */
export function buildSearchQueries(input: TrackQueryInput): string[] {
  const artist = input.artist;
  const title = input.title;
  const cleanArtist = stripDecorations(artist);
  const cleanTitle = stripDecorations(title);

  const candidates: string[][] = [
    [...searchTerms(artist), ...searchTerms(title)],
    [...searchTerms(cleanArtist), ...searchTerms(cleanTitle)],
    // Title alone: if cleaning left nothing (title "(Intro)"), fall back to the raw title's words.
    searchTerms(cleanTitle).length > 0 ? searchTerms(cleanTitle) : searchTerms(title),
  ];

  const seen = new Set<string>();
  const queries: string[] = [];
  for (const terms of candidates) {
    if (terms.length === 0) continue;
    const query = terms.join(' ');
    const key = query.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    queries.push(query);
  }
  return queries;
}

// The comparison text lives with the rest of normalization; re-exported for existing callers.
export { normalizeForMatch } from './normalize.js';
