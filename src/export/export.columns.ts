import type { DownloadRow } from '../downloads/download.repository.js';

/**
 * The history export's columns (pure): a stable set, documented in the README, in this order. New
 * columns are only ever added at the end, so a spreadsheet or script reading by position keeps
 * working. Times are ISO 8601 UTC; an empty cell (CSV) or null (JSON) is "none".
 */

/** A download with the fields of its current attempt (the source it was filed from or last tried). */
export interface ExportRow extends DownloadRow {
  a_extension: string | null;
  a_provider: string | null;
  a_username: string | null;
  a_filename: string | null;
  a_bit_rate: number | null;
  a_sample_rate: number | null;
  a_bit_depth: number | null;
  a_transfer_speed: number | null;
}

type Cell = string | number | null;
const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export const EXPORT_COLUMNS: ReadonlyArray<{ name: string; of: (r: ExportRow) => Cell }> = [
  { name: 'id', of: (r) => r.id },
  { name: 'status', of: (r) => r.status },
  { name: 'hold', of: (r) => r.hold },
  { name: 'artist', of: (r) => r.artist },
  { name: 'title', of: (r) => r.title },
  { name: 'album', of: (r) => r.album },
  { name: 'albumArtist', of: (r) => r.album_artist },
  { name: 'trackNumber', of: (r) => r.track_number },
  { name: 'discNumber', of: (r) => r.disc_number },
  { name: 'year', of: (r) => r.year },
  { name: 'genre', of: (r) => r.genre },
  { name: 'durationSeconds', of: (r) => r.duration_seconds },
  { name: 'priority', of: (r) => r.priority },
  { name: 'retryCount', of: (r) => r.retry_count },
  { name: 'errorCode', of: (r) => r.error_code },
  { name: 'errorMessage', of: (r) => r.error_message },
  { name: 'format', of: (r) => r.a_extension?.toLowerCase() ?? null },
  { name: 'provider', of: (r) => r.a_provider },
  { name: 'peer', of: (r) => r.a_username },
  { name: 'sourceFilename', of: (r) => r.a_filename },
  { name: 'bitRate', of: (r) => r.a_bit_rate },
  { name: 'sampleRate', of: (r) => r.a_sample_rate },
  { name: 'bitDepth', of: (r) => r.a_bit_depth },
  { name: 'size', of: (r) => r.size },
  { name: 'bytesTransferred', of: (r) => r.bytes_transferred },
  { name: 'transferSpeed', of: (r) => r.a_transfer_speed },
  { name: 'transcodeCheck', of: (r) => r.transcode_check },
  { name: 'libraryPath', of: (r) => r.library_path },
  { name: 'createdAt', of: (r) => iso(r.created_at) },
  { name: 'completedAt', of: (r) => iso(r.completed_at) },
  { name: 'updatedAt', of: (r) => iso(r.updated_at) },
];

export const EXPORT_COLUMN_NAMES = EXPORT_COLUMNS.map((c) => c.name);

/**
 * A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection"):
 * `=`, `+`, `-`, `@`, and tab, CR or LF, which some strip before looking. Also when blanks come
 * first: LibreOffice's import with "trim spaces" turns ` =1+1` into a formula, and the full-width
 * forms (`＝＋－＠`) are what a CJK input method types, which Excel reads as their ASCII
 * counterparts. Any run of blanks, line breaks and invisible format characters (zero-width
 * space, BOM, bidi marks: a trim or the eye skips them) before the sign counts the same. Such a
 * text cell gets a leading `'`, which spreadsheets take as "this is text" and do not show.
 * Numbers are written as numbers (a negative priority is a number, not a formula).
 */
const FORMULA_START = /^(?:[\t\r\n]|[\s\p{Zs}\p{Cf}]*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20])/u;
export const escapeCell = (value: Cell): Cell =>
  typeof value === 'string' && FORMULA_START.test(value) ? `'${value}` : value;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled;
 * null is an empty field. Written by hand rather than with csv-stringify: on 100,000 rows of 31
 * columns that library took 5x as long as this (4.1 s against 0.8 s, measured side by side), and
 * its per-row stream events were most of the export's time.
 */
export function csvField(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** One CSV line (CRLF-terminated) of cells. */
export const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvField).join(',')}\r\n`;

/** The header line. */
export const csvHeader = (): string => csvLine(EXPORT_COLUMN_NAMES);

/** One row for CSV: every column, text cells escaped against formula injection. */
export const csvRecord = (r: ExportRow): string =>
  csvLine(EXPORT_COLUMNS.map((c) => escapeCell(c.of(r))));

/** One row for JSON: an object with every column, values as they are. */
export const jsonRecord = (r: ExportRow): Record<string, Cell> =>
  Object.fromEntries(EXPORT_COLUMNS.map((c) => [c.name, c.of(r)]));
