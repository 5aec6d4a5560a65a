/**
 * The tokens of naming patterns (naming-pattern.ts), as data: what each one reads from a track,
 * whether it is text or a number, and what an empty value becomes. Pure.
 */

export interface TrackNaming {
  artist: string;
  /** Preferred for the folder when given, so a compilation's tracks share one folder. */
  albumArtist?: string | null;
  album?: string | null;
  title: string;
  trackNumber?: number | null;
  discNumber?: number | null;
  /** Discs in the release, when known: decides the multi-disc pattern for disc 1 (see isMultiDisc). */
  discTotal?: number | null;
  year?: number | null;
  genre?: string | null;
  /** With or without the leading dot; lower-cased. */
  extension: string;
}

export const UNKNOWN_ARTIST = 'Unknown Artist';
export const UNKNOWN_ALBUM = 'Unknown Album';
export const UNKNOWN_TITLE = 'Unknown Title';

export interface TokenDefinition {
  /** The name as documented; also how error messages write it. */
  name: string;
  kind: 'text' | 'number';
  value: (t: TrackNaming) => string | number | null | undefined;
  /**
   * What an empty value becomes: `always`, or only when the token is the whole segment (a folder
   * of its own, so tracks without an album still get an album folder instead of moving up one).
   */
  fallback?: { text: string; when: 'always' | 'alone' };
}

const present = (value: string | null | undefined): value is string =>
  value !== null && value !== undefined && value.trim() !== '';
export const positive = (n: number | null | undefined): number | null =>
  n !== null && n !== undefined && Number.isInteger(n) && n > 0 ? n : null;

/** Extension reduced to letters/digits so it cannot smuggle a separator or a second dot. */
export function cleanExtension(extension: string): string {
  return extension
    .replace(/^\.+/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '')
    .slice(0, 16);
}

/**
 * The tokens, as data. Artist and title fall back to "Unknown …" wherever they stand, because they
 * name the track (a request always has both; only sanitizing can empty them). `{Artist Name}` is the
 * track's artist here (Lidarr's means the album's artist; that is `{Album Artist Name}`, the album
 * artist or else the track's), and `{Track ArtistName}`, Lidarr's name for it, is accepted too.
 */
const TOKENS: TokenDefinition[] = [
  {
    name: 'Artist Name',
    kind: 'text',
    value: (t) => t.artist,
    fallback: { text: UNKNOWN_ARTIST, when: 'always' },
  },
  {
    name: 'Track ArtistName',
    kind: 'text',
    value: (t) => t.artist,
    fallback: { text: UNKNOWN_ARTIST, when: 'always' },
  },
  {
    name: 'Album Artist Name',
    kind: 'text',
    value: (t) => (present(t.albumArtist) ? t.albumArtist : t.artist),
    fallback: { text: UNKNOWN_ARTIST, when: 'always' },
  },
  {
    name: 'Album Title',
    kind: 'text',
    value: (t) => t.album,
    fallback: { text: UNKNOWN_ALBUM, when: 'alone' },
  },
  {
    name: 'Track Title',
    kind: 'text',
    value: (t) => t.title,
    fallback: { text: UNKNOWN_TITLE, when: 'always' },
  },
  { name: 'Release Year', kind: 'number', value: (t) => positive(t.year) },
  { name: 'Genre', kind: 'text', value: (t) => t.genre },
  { name: 'track', kind: 'number', value: (t) => positive(t.trackNumber) },
  { name: 'medium', kind: 'number', value: (t) => positive(t.discNumber) },
  { name: 'ext', kind: 'text', value: (t) => cleanExtension(t.extension) },
];

/** Lidarr's token comparison: case, spaces and punctuation ignored. */
export const tokenKey = (name: string): string => name.replace(/[^\p{L}\p{N}]/gu, '').toLowerCase();
export const TOKENS_BY_KEY = new Map(TOKENS.map((d) => [tokenKey(d.name), d]));

/** The documented token names, `{…}` included, for messages and the README. */
export const TOKEN_NAMES: readonly string[] = TOKENS.map((d) =>
  d.kind === 'number' && d.name !== 'Release Year' ? `{${d.name}:00}` : `{${d.name}}`,
);
