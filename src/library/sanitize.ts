/**
 * Turns untrusted names (peers' remote paths, tags, user input) into single path segments that are
 * safe on Linux, macOS and Windows. A segment produced here can never be "", "." or "..", never
 * contains a separator, and is at most 255 bytes of UTF-8 (the common NAME_MAX), so joining such
 * segments under a root can never leave the root. See docs: reliability lessons §2a (slskd
 * FileSafety, Nicotine+ clean_path, libtorrent "filenames", Lidarr CleanFileName).
 *
 * Every function is idempotent: sanitizing a sanitized name returns it unchanged.
 */

/** Longest segment in bytes of UTF-8: NAME_MAX on Linux and macOS (and < 255 UTF-16 units on Windows). */
export const MAX_SEGMENT_BYTES = 255;

/** Longest extension `sanitizeFileName` keeps apart when it has to shorten a name. */
const MAX_EXTENSION_BYTES = 16;

// Unpaired surrogates cannot be encoded as UTF-8 (the OS would get U+FFFD); make that explicit.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Whitespace controls read as word breaks, so "Artist\tTitle" keeps its space.
const WHITESPACE_CONTROLS = /[\t\n\v\f\r\u0085]/g;
// C0, DEL, C1, and the bidi embedding/override/isolate marks that make a name display as something it
// is not ("song\u202Eflac.exe"), plus LRM/RLM/ALM which are invisible.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u001F\u007F-\u009F\u200E\u200F\u061C\u202A-\u202E\u2066-\u2069]/g;
// Characters Windows forbids in names; '/' and '\' are separators everywhere.
const FORBIDDEN = /[/\\*?"<>|]/g;
// Windows device names, reserved with any extension and any case ("con.txt", "Lpt1.flac"), also
// with trailing spaces before the dot; Windows treats superscript digits as digits here too.
const RESERVED = /^(?:CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³]|CONIN\$|CONOUT\$)(?= *(?:\.|$))/i;
// Leading dots would hide the file; trailing dots and spaces are silently dropped by Windows.
const EDGE_DOTS_AND_SPACES = /^[\s.]+|[\s.]+$/g;

// Grapheme boundaries do not depend on the locale; one shared instance (creating one is costly).
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Bytes of UTF-8 for one UTF-16 code unit at `i` (4 for a surrogate pair's first half, 0 for its second). */
function unitBytes(text: string, i: number): number {
  const unit = text.charCodeAt(i);
  if (unit < 0x80) return 1;
  if (unit < 0x800) return 2;
  if (unit >= 0xd800 && unit <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 4;
  } else if (unit >= 0xdc00 && unit <= 0xdfff) {
    const previous = text.charCodeAt(i - 1);
    if (previous >= 0xd800 && previous <= 0xdbff) return 0;
  }
  return 3; // BMP, or a lone surrogate (encoded as U+FFFD)
}

export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) bytes += unitBytes(text, i);
  return bytes;
}

/**
 * Colons: "Title: Subtitle" reads best as "Title - Subtitle"; any other colon ("12:00", "C:")
 * becomes '-'. Everything else forbidden becomes '_'.
 */
function replaceForbidden(text: string): string {
  return text
    .replace(/\s*:\s+/g, ' - ')
    .replace(/:/g, '-')
    .replace(FORBIDDEN, '_');
}

function clean(name: string): string {
  // Removal before NFC: dropping a control between "e" and U+0301 makes them composable, and the
  // result must already be composed for sanitizing to be idempotent.
  const visible = name
    .replace(LONE_SURROGATE, '_')
    .replace(WHITESPACE_CONTROLS, ' ')
    .replace(INVISIBLE, '')
    .normalize('NFC');
  return replaceForbidden(visible).replace(EDGE_DOTS_AND_SPACES, '');
}

/** Longest prefix of `text` within `maxBytes`, cut between graphemes (code points as a last resort). */
export function truncateUtf8(text: string, maxBytes: number): string {
  // The longest prefix on a code point boundary…
  let end = 0;
  let used = 0;
  while (end < text.length) {
    const size = unitBytes(text, end);
    if (used + size > maxBytes) break;
    used += size;
    end += size === 4 ? 2 : 1;
  }
  if (end >= text.length) return text;
  // …moved back to the start of the grapheme it would split, unless that grapheme is the first
  // (a letter with hundreds of combining marks): then the code point cut stands.
  const start = graphemes.segment(text).containing(end)?.index ?? end;
  return text.slice(0, start > 0 ? start : end);
}

function finish(text: string, maxBytes: number): string {
  // Cutting may expose a trailing space or dot; removing them only shortens further.
  return truncateUtf8(text, maxBytes).replace(EDGE_DOTS_AND_SPACES, '');
}

function guardReserved(text: string): string {
  return text.replace(RESERVED, (device) => `${device}_`);
}

function fallbackSegment(fallback: string): string {
  const cleaned = guardReserved(clean(fallback));
  return cleaned === '' ? '_' : finish(cleaned, MAX_SEGMENT_BYTES) || '_';
}

/**
 * One safe path segment (a folder name). `.`/`..`/empty (after cleaning) become `fallback`
 * (default "_"), itself sanitized.
 */
export function sanitizeSegment(name: string, fallback = '_'): string {
  const cleaned = guardReserved(clean(name));
  if (cleaned === '') return fallbackSegment(fallback);
  return finish(cleaned, MAX_SEGMENT_BYTES);
}

/**
 * Like `sanitizeSegment`, but "" when nothing is left after cleaning (no fallback): for callers that
 * drop an empty part rather than name it "_" (a naming pattern's empty token or folder).
 */
export function cleanSegment(name: string): string {
  const cleaned = guardReserved(clean(name));
  return cleaned === '' ? '' : finish(cleaned, MAX_SEGMENT_BYTES);
}

/**
 * Like `sanitizeSegment`, for a file name: when the name must be shortened, the extension (up to
 * 16 bytes of letters/digits after the last dot) is kept and the part before it is cut.
 */
export function sanitizeFileName(name: string, fallback = '_'): string {
  const cleaned = guardReserved(clean(name));
  if (cleaned === '') return fallbackSegment(fallback);
  if (utf8Length(cleaned) <= MAX_SEGMENT_BYTES) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 ? cleaned.slice(dot + 1) : '';
  if (
    extension === '' ||
    utf8Length(extension) > MAX_EXTENSION_BYTES ||
    !/^[\p{L}\p{N}]+$/u.test(extension)
  ) {
    return finish(cleaned, MAX_SEGMENT_BYTES);
  }
  const stem = finish(cleaned.slice(0, dot), MAX_SEGMENT_BYTES - utf8Length(extension) - 1);
  return `${stem}.${extension}`;
}

/**
 * Segments of a Soulseek remote path, root removed. Peers send Windows paths ("C:\Music\…",
 * "\\server\share\…"), POSIX paths, and Soulseek Qt's hidden share prefix ("@@abcde\Music\…").
 */
export function remotePathSegments(remotePath: string): string[] {
  let path = remotePath;
  // Win32 namespaces ("\\?\C:\", "\\.\", "\\?\UNC\server\share\") before plain UNC.
  path = path.replace(/^[\\/]{2}[?.][\\/](?:UNC[\\/][^\\/]*[\\/]?[^\\/]*)?/i, '');
  if (/^[\\/]{2}[^\\/]/.test(path)) {
    // \\server\share\rest: server and share are the root.
    path = path.replace(/^[\\/]{2}[^\\/]*[\\/]?[^\\/]*/, '');
  }
  const segments = path.split(/[\\/]+/).filter((segment) => segment.length > 0);
  const first = segments[0];
  if (first !== undefined && (/^@@/.test(first) || /^[a-z]:$/i.test(first))) segments.shift();
  return segments;
}

/** Last segment of a remote path ("" when there is none). */
export function remoteBaseName(remotePath: string): string {
  const segments = remotePathSegments(remotePath);
  return segments[segments.length - 1] ?? '';
}

/** The folder directly containing the file ("" when the file sits at the root). */
export function remoteParentName(remotePath: string): string {
  const segments = remotePathSegments(remotePath);
  return segments[segments.length - 2] ?? '';
}
