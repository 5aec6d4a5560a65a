import {
  MAX_SEGMENT_BYTES,
  sanitizeFileName,
  sanitizeSegment,
  truncateUtf8,
  utf8Length,
} from './sanitize.js';

/**
 * Where a track goes inside the library: <Artist>/<Album>/<NN> - <Title>.<ext>. Pure; every segment
 * goes through the sanitizer, because tags are as untrusted as peers' file names.
 */

export interface TrackNaming {
  artist: string;
  /** Preferred for the folder when given, so a compilation's tracks share one folder. */
  albumArtist?: string | null;
  album?: string | null;
  title: string;
  trackNumber?: number | null;
  /** Not part of the name yet (multi-disc layouts come with naming patterns). */
  discNumber?: number | null;
  /** With or without the leading dot; lower-cased. */
  extension: string;
}

export const UNKNOWN_ARTIST = 'Unknown Artist';
export const UNKNOWN_ALBUM = 'Unknown Album';
export const UNKNOWN_TITLE = 'Unknown Title';

function present(value: string | null | undefined): value is string {
  return value !== null && value !== undefined && value.trim() !== '';
}

/** Extension reduced to letters/digits so it cannot smuggle a separator or a second dot. */
function cleanExtension(extension: string): string {
  return extension
    .replace(/^\.+/, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '')
    .slice(0, 16);
}

/** Segments [<Artist>, <Album>, "<NN> - <Title>.<ext>"], each a safe single path segment. */
export function libraryRelativePath(t: TrackNaming): string[] {
  const artist = sanitizeSegment(present(t.albumArtist) ? t.albumArtist : t.artist, UNKNOWN_ARTIST);
  const album = sanitizeSegment(present(t.album) ? t.album : UNKNOWN_ALBUM, UNKNOWN_ALBUM);

  const extension = cleanExtension(t.extension);
  const number =
    t.trackNumber !== null &&
    t.trackNumber !== undefined &&
    Number.isInteger(t.trackNumber) &&
    t.trackNumber > 0
      ? `${String(t.trackNumber).padStart(2, '0')} - `
      : '';
  // The title is sanitized on its own first, so "." or ".." as a title becomes the fallback rather
  // than vanishing into "01 - .flac".
  const title = sanitizeSegment(t.title, UNKNOWN_TITLE);
  const fileName = sanitizeFileName(`${number}${title}${extension ? `.${extension}` : ''}`);
  return [artist, album, fileName];
}

/** "01 - Song.flac", 2 → "01 - Song (2).flac"; n ≤ 1 returns the name unchanged. */
export function withCollisionSuffix(fileName: string, n: number): string {
  if (n <= 1) return fileName;
  const suffix = ` (${n})`;
  const dot = fileName.lastIndexOf('.');
  const hasExtension = dot > 0 && dot < fileName.length - 1;
  const stem = hasExtension ? fileName.slice(0, dot) : fileName;
  const extension = hasExtension ? fileName.slice(dot) : '';
  // Keep the result within the segment limit: shorten the stem, never the suffix or extension.
  const budget = MAX_SEGMENT_BYTES - utf8Length(suffix) - utf8Length(extension);
  return sanitizeFileName(`${truncateUtf8(stem, budget)}${suffix}${extension}`);
}
