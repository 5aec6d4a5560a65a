import {
  compileNamingPattern,
  DEFAULT_MULTI_DISC_NAMING_PATTERN,
  DEFAULT_NAMING_PATTERN,
  isMultiDisc,
  renderNamingPattern,
  UNKNOWN_TITLE,
  cleanExtension,
  type TrackNaming,
} from './naming-pattern.js';
import {
  cleanSegment,
  MAX_SEGMENT_BYTES,
  sanitizeFileName,
  sanitizeSegment,
  truncateUtf8,
  utf8Length,
} from './sanitize.js';

export {
  UNKNOWN_ALBUM,
  UNKNOWN_ARTIST,
  UNKNOWN_TITLE,
  type TrackNaming,
} from './naming-pattern.js';

/**
 * Where a track goes inside the library, by the naming patterns (naming-pattern.ts); by default
 * <Album artist>/<Album>/<NN> - <Title>.<ext>. Pure; every segment goes through the sanitizer,
 * because tags are as untrusted as peers' file names.
 */

/** The settings `namingPattern` and `multiDiscNamingPattern`. */
export interface NamingPatterns {
  namingPattern: string;
  multiDiscNamingPattern: string;
}

export const DEFAULT_NAMING_PATTERNS: NamingPatterns = {
  namingPattern: DEFAULT_NAMING_PATTERN,
  multiDiscNamingPattern: DEFAULT_MULTI_DISC_NAMING_PATTERN,
};

export interface LibraryPathPlan {
  /** Safe single path segments, folders first, the file name (with its extension) last. */
  segments: string[];
  /** Whether the multi-disc pattern named it. */
  multiDisc: boolean;
}

/**
 * The track's path by the pattern that applies to it. Throws NamingPatternError for an invalid
 * pattern (settings are validated before they are stored, so filing never sees one).
 */
export function planLibraryPath(
  t: TrackNaming,
  patterns: NamingPatterns = DEFAULT_NAMING_PATTERNS,
): LibraryPathPlan {
  const multiDisc = isMultiDisc(t);
  const pattern = compileNamingPattern(
    multiDisc ? patterns.multiDiscNamingPattern : patterns.namingPattern,
  );
  const rendered = renderNamingPattern(pattern, t);
  const stem = rendered.pop() ?? '';
  // A folder that came out empty (say "{Genre}" without a genre) is left out, never named "_".
  const folders = rendered.map((folder) => cleanSegment(folder)).filter((f) => f !== '');
  const extension = cleanExtension(t.extension);
  // A stem can only be empty when it is made of `{track}` alone and there is no track number.
  const name = cleanSegment(stem) || sanitizeSegment(t.title, UNKNOWN_TITLE);
  return {
    segments: [...folders, sanitizeFileName(`${name}${extension ? `.${extension}` : ''}`)],
    multiDisc,
  };
}

/** Segments of the track's library path (folders, then the file name), each a safe single segment. */
export function libraryRelativePath(
  t: TrackNaming,
  patterns: NamingPatterns = DEFAULT_NAMING_PATTERNS,
): string[] {
  return planLibraryPath(t, patterns).segments;
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
