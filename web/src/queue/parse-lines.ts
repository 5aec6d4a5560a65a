/**
 * The paste box: one track per line as "Artist - Title". The separator is the first " - " (a
 * spaced hyphen or dash), so "AC/DC - T.N.T." and "Jay-Z - 99 Problems" split where a person
 * would; a title may itself hold " - " ("Artist - Song - Live"). Blank lines and lines starting
 * with `#` are skipped; a line without a separator, or with an empty side, is reported by number.
 */

export interface ParsedLine {
  artist: string;
  title: string;
}

export interface ParseResult {
  tracks: ParsedLine[];
  /** 1-based line numbers and why each was refused. */
  errors: { line: number; text: string; reason: string }[];
}

/** " - ", " – " (en dash) or " — " (em dash), with any spaces around. */
const SEPARATOR = /\s+[-–—]\s+/;
const MAX_FIELD = 500;

export function parseTrackLines(text: string): ParseResult {
  const tracks: ParsedLine[] = [];
  const errors: ParseResult['errors'] = [];
  const lines = text.split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const match = SEPARATOR.exec(line);
    if (!match) {
      errors.push({ line: i + 1, text: line, reason: 'expected "Artist - Title"' });
      return;
    }
    const artist = line.slice(0, match.index).trim();
    const title = line.slice(match.index + match[0].length).trim();
    if (artist === '' || title === '') {
      errors.push({ line: i + 1, text: line, reason: 'artist and title must not be empty' });
      return;
    }
    if (artist.length > MAX_FIELD || title.length > MAX_FIELD) {
      errors.push({ line: i + 1, text: line, reason: `at most ${MAX_FIELD} characters each` });
      return;
    }
    tracks.push({ artist, title });
  });
  return { tracks, errors };
}
