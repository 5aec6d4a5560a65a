/**
 * "Artist - Title" as people type it and playlists write it. The first separator wins: a title may
 * carry a dash of its own ("Song - 2011 Remaster"); an artist with " - " in its name is rarer.
 */

export interface TrackText {
  artist: string;
  title: string;
}

/** A hyphen, en dash or em dash with whitespace on both sides. */
const SEPARATOR = /\s+[-\u2013\u2014]\s+/;

/** Splits "Artist - Title"; null when there is no separator or one side is empty. */
export function splitArtistTitle(text: string): TrackText | null {
  const clean = text.replace(/^\uFEFF/, '').trim();
  const match = SEPARATOR.exec(clean);
  if (!match) return null;
  const artist = clean.slice(0, match.index).trim();
  const title = clean.slice(match.index + match[0].length).trim();
  if (artist === '' || title === '') return null;
  return { artist, title };
}

/** The message shown for text that is not "Artist - Title". */
export function notArtistTitle(text: string): string {
  return `"${text}" is not "Artist - Title" (artist, a spaced dash, then the title)`;
}
