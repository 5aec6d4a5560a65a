/**
 * The oracle's rule for a naming pattern (`namingPattern`, `multiDiscNamingPattern`), written from
 * README's "Naming patterns" apart from src/library/naming-pattern.ts: whether PATCH /api/settings
 * must take it.
 */

/** The documented tokens, compared as Lidarr does: case, spaces and punctuation ignored. */
const TOKENS: Record<string, 'text' | 'number'> = {
  artistname: 'text',
  trackartistname: 'text',
  albumartistname: 'text',
  albumtitle: 'text',
  releaseyear: 'number',
  tracktitle: 'text',
  genre: 'text',
  track: 'number',
  medium: 'number',
  ext: 'text',
};
const keyOf = (name: string) => name.replace(/[^a-z0-9]/gi, '').toLowerCase();

/**
 * The inside of `{…}`: optional text before (`-`, space, `.`, `_`, `[`, `(`), a name of ASCII
 * letters and digits in words joined by `-`, space, `.` or `_`, an optional `:format`, optional
 * text after (`-`, space, `.`, `_`, `)`, `]`).
 */
const INSIDE = /^[- ._[(]*([a-z0-9]+(?:[- ._]+[a-z0-9]+)*)(?::([^{}]*?))?[- ._)\]]*$/i;
/** What a pattern's own text cannot hold: `< > : " \ | ? *` and control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NOT_IN_TEXT = /[<>:"\\|?*\u0000-\u001f\u007f-\u009f]/;

/** The tokens of one part, or null when the part is not valid (a stray brace, bad text or token). */
function tokensOf(part: string): string[] | null {
  const tokens: string[] = [];
  let text = '';
  for (let i = 0; i < part.length;) {
    const two = part.slice(i, i + 2);
    if (two === '{{' || two === '}}') {
      i += 2; // a literal brace
      continue;
    }
    if (part[i] === '}') return null;
    if (part[i] !== '{') {
      text += part[i];
      i++;
      continue;
    }
    const end = part.indexOf('}', i);
    const inner = end < 0 ? null : part.slice(i + 1, end);
    if (inner === null || inner.includes('{')) return null;
    const m = INSIDE.exec(inner);
    const kind = m ? TOKENS[keyOf(m[1]!)] : undefined;
    if (!m || kind === undefined) return null;
    const format = m[2];
    if (format !== undefined) {
      const ok = kind === 'number' ? /^0{1,9}$/.test(format) : /^[1-9][0-9]{0,2}$/.test(format);
      if (!ok) return null;
    }
    tokens.push(keyOf(m[1]!));
    i = end + 1;
  }
  return NOT_IN_TEXT.test(text) ? null : tokens;
}

/** Whether `v` is a naming pattern SoulSpot must accept. */
export function isNamingPattern(v: unknown): boolean {
  if (typeof v !== 'string' || v.trim() === '') return false;
  // At most 500 characters, whichever way they are counted; text both databases store as sent.
  if (v.length > 500 || v.includes('\u0000')) return false;
  if (new TextDecoder().decode(new TextEncoder().encode(v)) !== v) return false;
  if (v.startsWith('/') || v.endsWith('/')) return false;
  const parts = v.split('/');
  if (parts.length > 10) return false;
  let last: string[] = [];
  for (const part of parts) {
    if (['', '.', '..'].includes(part.trim())) return false;
    const tokens = tokensOf(part);
    if (tokens === null) return false;
    last = tokens;
  }
  // The file name names the track, so an album's tracks do not all get one name.
  return last.includes('tracktitle') || last.includes('track');
}
