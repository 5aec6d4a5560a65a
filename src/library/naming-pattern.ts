import { cleanSegment, MAX_SEGMENT_BYTES, truncateUtf8, utf8Length } from './sanitize.js';
import {
  cleanExtension,
  positive,
  TOKEN_NAMES,
  tokenKey,
  TOKENS_BY_KEY,
  type TokenDefinition,
  type TrackNaming,
} from './naming-tokens.js';

export {
  cleanExtension,
  TOKEN_NAMES,
  UNKNOWN_ALBUM,
  UNKNOWN_ARTIST,
  UNKNOWN_TITLE,
  type TrackNaming,
} from './naming-tokens.js';

/**
 * Naming patterns in Lidarr's token syntax (its FileNameBuilder): `{Album Artist Name}/{Album Title}/
 * {track:00} - {Track Title}`. `/` separates folders; the last part is the file name, to which the
 * extension is added. Pure: parsing, validation and rendering, no I/O.
 *
 * As in Lidarr:
 * - a token matches ignoring case, spaces and punctuation (`{Artist Name}`, `{artist.name}`,
 *   `{ARTIST_NAME}` are one token); an all-lower-case token lower-cases its value, an all-upper-case
 *   one upper-cases it, and a separator other than a space (`{Artist.Name}`) replaces the value's
 *   spaces;
 * - `{track:00}` / `{medium:00}` pad with zeros, `{Album Title:30}` cuts a text to 30 characters;
 * - text inside the braces before or after the name (`{ - Album Title}`, `{(Release Year)}`) appears
 *   only when the token has a value; `{{` and `}}` are literal braces;
 * - colons become " - " before a space and "-" elsewhere (Lidarr's default, "Smart").
 * Unlike Lidarr, other forbidden characters become "_" (SoulSpot's sanitizer, used everywhere), and
 * an empty token also takes its separator with it: `{Artist Name} - {Album Title} - {Track Title}`
 * without an album gives "Artist - Title", `{Album Title} ({Release Year})` without a year "Album",
 * and a folder that ends up empty is left out.
 *
 * Every value is sanitized on its own, then every rendered segment again (sanitize.ts), so a tag
 * can never add a separator, a "..", a device name or more than 255 bytes; placement (confine.ts,
 * move.ts) still checks the joined path.
 */

/** Today's layout, kept as the default: <Album artist>/<Album>/<NN> - <Title>.<ext>. */
export const DEFAULT_NAMING_PATTERN =
  '{Album Artist Name}/{Album Title}/{track:00} - {Track Title}';
/** The same with one folder per disc: <Album artist>/<Album>/Disc <N>/<NN> - <Title>.<ext>. */
export const DEFAULT_MULTI_DISC_NAMING_PATTERN =
  '{Album Artist Name}/{Album Title}/Disc {medium}/{track:00} - {Track Title}';

/** Longest pattern accepted, in characters. */
export const MAX_PATTERN_LENGTH = 500;
/** Most path segments (folders + file) a pattern may have. */
export const MAX_PATTERN_SEGMENTS = 10;

interface LiteralPart {
  kind: 'literal';
  text: string;
}
interface TokenPart {
  kind: 'token';
  definition: TokenDefinition;
  /** Shown only around a value (Lidarr's prefix/suffix inside the braces). */
  prefix: string;
  suffix: string;
  /** Replaces the value's spaces ("" = keep them). */
  separator: string;
  letterCase: 'lower' | 'upper' | 'keep';
  /** Numbers: zero-padded to this many digits. */
  width: number;
  /** Text: at most this many characters (0 = no limit). */
  maxLength: number;
}
type Part = LiteralPart | TokenPart;

/** A parsed pattern: one list of parts per segment, the file name last. */
export interface NamingPattern {
  source: string;
  segments: Part[][];
}

export class NamingPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamingPatternError';
  }
}

// Lidarr's TitleRegex, with names of more than two words ("Album Artist Name") and any format text
// captured, so a wrong one gets a message instead of staying in the name as literal text.
const TOKEN =
  /\{\{|\}\}|\{([- ._[(]*)([a-z0-9]+(?:[- ._]+[a-z0-9]+)*)(?::([^{}]*?))?([- ._)\]]*)\}/gi;
// Characters a file name cannot hold; in a pattern's own text they are a mistake worth reporting
// ('/' separates folders, so it is not among them). Control characters likewise.
// eslint-disable-next-line no-control-regex -- refusing control characters is the point
const ILLEGAL_LITERAL = /[<>:"|?*\\\u0000-\u001f\u007f-\u009f]/;
// Marks an empty token while a segment is put together (Unicode private use; removed from values).
const EMPTY = '\uE000';
const EMPTY_ALL = /\uE000/g;

function letterCaseOf(name: string): TokenPart['letterCase'] {
  const letters = name.replace(/[^\p{L}]/gu, '');
  if (letters === letters.toLowerCase()) return 'lower';
  if (letters === letters.toUpperCase()) return 'upper';
  return 'keep';
}

function describeIllegal(text: string): string | null {
  const bad = ILLEGAL_LITERAL.exec(text)?.[0];
  if (bad === undefined) return null;
  const shown = bad.charCodeAt(0) < 0x20 || bad === '\u007f' ? 'a control character' : `"${bad}"`;
  return `contains ${shown}, which file names cannot hold`;
}

function parseToken(match: RegExpExecArray): TokenPart {
  const [whole, prefix = '', name = '', format, suffix = ''] = match;
  const definition = TOKENS_BY_KEY.get(tokenKey(name));
  if (!definition) {
    throw new NamingPatternError(
      `has an unknown token ${whole}; known tokens: ${TOKEN_NAMES.join(', ')}`,
    );
  }
  const separator = /[-._]/.exec(/[- ._]+/.exec(name)?.[0] ?? '')?.[0] ?? '';
  let width = 0;
  let maxLength = 0;
  if (format !== undefined) {
    if (definition.kind === 'number') {
      if (!/^0{1,9}$/.test(format)) {
        throw new NamingPatternError(
          `${whole}: a number token takes zeros for its width, e.g. {${definition.name}:00}`,
        );
      }
      width = format.length;
    } else {
      if (!/^[1-9]\d{0,2}$/.test(format)) {
        throw new NamingPatternError(
          `${whole}: a text token takes a length from 1 to 999, e.g. {${definition.name}:30}`,
        );
      }
      maxLength = Number(format);
    }
  }
  return {
    kind: 'token',
    definition,
    prefix,
    suffix,
    separator,
    letterCase: letterCaseOf(name),
    width,
    maxLength,
  };
}

function parseSegment(text: string): Part[] {
  const parts: Part[] = [];
  const literal = (s: string): void => {
    if (s === '') return;
    if (s.includes('{') || s.includes('}')) {
      // "{Títle}" is braces around something that is no token name at all: say so.
      const braced = /\{[^{}]+\}/.exec(s)?.[0];
      if (braced) {
        throw new NamingPatternError(
          `has an unknown token ${braced}; known tokens: ${TOKEN_NAMES.join(', ')}`,
        );
      }
      throw new NamingPatternError(
        `has a "${s.includes('{') ? '{' : '}'}" that opens or closes no token (write {{ or }} for a brace): "${text}"`,
      );
    }
    const problem = describeIllegal(s);
    if (problem) throw new NamingPatternError(problem);
    const last = parts[parts.length - 1];
    if (last?.kind === 'literal') last.text += s;
    else parts.push({ kind: 'literal', text: s });
  };
  let at = 0;
  for (const match of text.matchAll(TOKEN)) {
    literal(text.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[0] === '{{' || match[0] === '}}') {
      const last = parts[parts.length - 1];
      if (last?.kind === 'literal') last.text += match[0][0];
      else parts.push({ kind: 'literal', text: match[0][0] as string });
      continue;
    }
    parts.push(parseToken(match as RegExpExecArray));
  }
  literal(text.slice(at));
  return parts;
}

/**
 * The extension is always added to the file name; a file name written as "….{ext}" says the same,
 * so that ".{ext}" is dropped rather than doubled ("Song.flac.flac"). `{ext}` anywhere else is text.
 */
function dropTrailingExtension(file: Part[]): void {
  const last = file[file.length - 1];
  const before = file[file.length - 2];
  if (last?.kind !== 'token' || last.definition.name !== 'ext' || last.suffix !== '') return;
  if (last.prefix === '.') {
    file.pop(); // "{Track Title}{.ext}"
  } else if (last.prefix === '' && before?.kind === 'literal' && before.text.endsWith('.')) {
    file.pop(); // "{Track Title}.{ext}"
    before.text = before.text.slice(0, -1);
    if (before.text === '') file.pop();
  }
}

const isTitleOrTrack = (p: Part): boolean =>
  p.kind === 'token' && (p.definition.name === 'Track Title' || p.definition.name === 'track');

/** Parses and checks a pattern; throws NamingPatternError saying what is wrong. */
export function parseNamingPattern(source: string): NamingPattern {
  if (source.trim() === '') throw new NamingPatternError('is empty');
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new NamingPatternError(`is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  if (source.startsWith('/')) {
    throw new NamingPatternError('starts with "/": a pattern is relative to the library folder');
  }
  if (source.endsWith('/')) {
    throw new NamingPatternError('ends with "/": the part after the last "/" is the file name');
  }
  const texts = source.split('/');
  if (texts.length > MAX_PATTERN_SEGMENTS) {
    throw new NamingPatternError(`has more than ${MAX_PATTERN_SEGMENTS} parts separated by "/"`);
  }
  const segments = texts.map((text) => {
    if (text.trim() === '') throw new NamingPatternError('has an empty folder name ("//")');
    if (text.trim() === '.' || text.trim() === '..') {
      throw new NamingPatternError(`has a "${text.trim()}" folder: a pattern stays in the library`);
    }
    return parseSegment(text);
  });
  const file = segments[segments.length - 1] as Part[];
  dropTrailingExtension(file);
  if (!file.some(isTitleOrTrack)) {
    throw new NamingPatternError(
      'has no {Track Title} or {track} in its file name (the part after the last "/"), so the tracks of an album would all get one name',
    );
  }
  return { source, segments };
}

/** The problem with a pattern, or null when it is valid (for settings and API validation). */
export function namingPatternProblem(source: string): string | null {
  try {
    parseNamingPattern(source);
    return null;
  } catch (error) {
    if (error instanceof NamingPatternError) return error.message;
    throw error;
  }
}

// Filing names a file per download; a handful of patterns are in use at once (one or two settings).
const parsedCache = new Map<string, NamingPattern>();
const CACHE_SIZE = 32;

/** parseNamingPattern, remembered for the last few patterns. */
export function compileNamingPattern(source: string): NamingPattern {
  const cached = parsedCache.get(source);
  if (cached) return cached;
  const parsed = parseNamingPattern(source);
  if (parsedCache.size >= CACHE_SIZE) parsedCache.delete(parsedCache.keys().next().value as string);
  parsedCache.set(source, parsed);
  return parsed;
}

/**
 * Whether the multi-disc pattern applies: the disc number is known and either the release has more
 * than one disc or this is disc 2 or later. Disc 1 without a disc total counts as a single disc (most
 * releases are): pass `discTotal` to file disc 1 of a set beside its other discs.
 */
export function isMultiDisc(t: Pick<TrackNaming, 'discNumber' | 'discTotal'>): boolean {
  const disc = positive(t.discNumber);
  if (disc === null) return false;
  const total = positive(t.discTotal);
  return (total !== null && total > 1) || disc > 1;
}

/** One token's text: transformed, sanitized, "" when nothing is left (and it has no fallback). */
function tokenText(part: TokenPart, t: TrackNaming, alone: boolean): string {
  const raw = part.definition.value(t);
  const shape = (value: string): string => {
    let text = cleanSegment(value.replace(EMPTY_ALL, ''));
    if (part.maxLength > 0) {
      const chars = [...text];
      if (chars.length > part.maxLength) {
        text = cleanSegment(`${chars.slice(0, part.maxLength - 1).join('')}…`);
      }
    }
    if (part.letterCase === 'lower') text = text.toLowerCase();
    else if (part.letterCase === 'upper') text = text.toUpperCase();
    if (part.separator !== '') text = text.replace(/ /g, part.separator);
    return text;
  };
  let text: string;
  if (part.definition.kind === 'number') {
    text = typeof raw === 'number' ? String(raw).padStart(part.width, '0') : '';
  } else {
    text = typeof raw === 'string' ? shape(raw) : '';
  }
  const fallback = part.definition.fallback;
  if (text === '' && fallback && (fallback.when === 'always' || alone)) text = shape(fallback.text);
  return text;
}

/**
 * Puts a segment together. An empty token takes its brackets ("(…)", "[…]") and the separators on
 * one side with it; a segment of nothing but empty tokens is "".
 */
function joinSegment(parts: Part[], texts: string[]): string {
  let s = parts
    .map((part, i) => {
      if (part.kind === 'literal') return part.text;
      const text = texts[i] ?? '';
      return text === '' ? EMPTY : `${part.prefix}${text}${part.suffix}`;
    })
    .join('');
  if (!s.includes(EMPTY)) return s;
  s = s.replace(/[([]\s*\uE000\s*[)\]]/g, EMPTY).replace(/\uE000(?:[- ._]*\uE000)+/g, EMPTY);
  return s.replace(
    /([- ._]*)\uE000([- ._]*)/g,
    (match: string, before: string, after: string, offset: number, whole: string) => {
      if (offset === 0 || offset + match.length === whole.length) return '';
      // Between two texts, keep the wider separator: "A - <empty> - B" → "A - B", "A (<empty>) - B" → "A - B".
      return after.length >= before.length ? after : before;
    },
  );
}

/** The token to shorten when a segment is too long: the title, else the longest text value. */
function cuttable(parts: Part[], texts: string[]): number {
  const title = parts.findIndex(
    (p, i) => p.kind === 'token' && p.definition.name === 'Track Title' && texts[i] !== '',
  );
  if (title >= 0) return title;
  let best = -1;
  for (const [i, p] of parts.entries()) {
    if (p.kind !== 'token' || p.definition.kind !== 'text') continue;
    if (best < 0 || utf8Length(texts[i] ?? '') > utf8Length(texts[best] ?? '')) best = i;
  }
  return best;
}

/**
 * Renders one segment within `maxBytes`: when it is longer, the title (or the longest value) is
 * shortened so the rest of the name survives (as Lidarr does); the sanitizer cuts whatever is
 * still over.
 */
function renderSegment(parts: Part[], t: TrackNaming, maxBytes: number): string {
  const alone = parts.length === 1;
  const texts = parts.map((p) => (p.kind === 'token' ? tokenText(p, t, alone) : ''));
  let s = joinSegment(parts, texts);
  const over = utf8Length(s) - maxBytes;
  if (over > 0) {
    const i = cuttable(parts, texts);
    const text = texts[i];
    if (text !== undefined && utf8Length(text) > over) {
      texts[i] = cleanSegment(truncateUtf8(text, utf8Length(text) - over));
      s = joinSegment(parts, texts);
    }
  }
  return s;
}

/**
 * Unsanitized segments of a track's path: folders first, the file name (without the extension)
 * last. The caller sanitizes each (naming.ts); an empty folder is "" and is left out there.
 */
export function renderNamingPattern(pattern: NamingPattern, t: TrackNaming): string[] {
  const extension = cleanExtension(t.extension);
  const last = pattern.segments.length - 1;
  return pattern.segments.map((parts, i) =>
    renderSegment(
      parts,
      t,
      i === last
        ? MAX_SEGMENT_BYTES - (extension ? utf8Length(extension) + 1 : 0)
        : MAX_SEGMENT_BYTES,
    ),
  );
}
