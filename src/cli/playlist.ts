import path from 'node:path';
import { detectDelimiter, parseCsv } from './csv.js';
import { notArtistTitle, splitArtistTitle } from './track-line.js';

/** A track to ask for, as POST /api/downloads(/bulk) takes it. */
export interface TrackRequest {
  artist: string;
  title: string;
  album?: string;
  durationSeconds?: number;
}

export interface PlaylistProblem {
  /** 1-based line (CSV: row) in the file. */
  line: number;
  message: string;
}

export interface Playlist {
  tracks: TrackRequest[];
  problems: PlaylistProblem[];
}

export type PlaylistKind = 'csv' | 'txt' | 'm3u';

/** The kind of playlist a file name says, or null for an extension the CLI does not read. */
export function playlistKind(fileName: string): PlaylistKind | null {
  const ext = path.extname(fileName).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return 'csv';
  if (ext === '.txt' || ext === '') return 'txt';
  if (ext === '.m3u' || ext === '.m3u8') return 'm3u';
  return null;
}

export function parsePlaylist(text: string, kind: PlaylistKind): Playlist {
  if (kind === 'csv') return parseCsvPlaylist(text);
  if (kind === 'm3u') return parseM3u(text);
  return parseTextList(text);
}

/** One "Artist - Title" a line; blank lines and lines starting with # are skipped. */
export function parseTextList(text: string): Playlist {
  const out: Playlist = { tracks: [], problems: [] };
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const t = splitArtistTitle(line);
    if (t) out.tracks.push(t);
    else out.problems.push({ line: i + 1, message: notArtistTitle(line) });
  });
  return out;
}

/**
 * M3U / M3U8: `#EXTINF:<seconds>,Artist - Title` names the entry that follows it. An entry without
 * one (a plain M3U) is named by its file name ("01 - Artist - Title.flac" or "Artist - Title.mp3").
 */
export function parseM3u(text: string): Playlist {
  const out: Playlist = { tracks: [], problems: [] };
  let pending: { line: number; duration: number | undefined; name: string } | null = null;
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const extinf = /^#EXTINF:\s*(-?\d+(?:\.\d+)?)?[^,]*,(.*)$/i.exec(line);
    if (extinf) {
      const secs = extinf[1] === undefined ? undefined : Number(extinf[1]);
      pending = {
        line: i + 1,
        // -1 is M3U's "length unknown".
        duration: secs !== undefined && secs > 0 && secs <= 86_400 ? secs : undefined,
        name: (extinf[2] ?? '').trim(),
      };
      return;
    }
    if (line.startsWith('#')) return;
    const entry: { line: number; duration: number | undefined; name: string } = pending ?? {
      line: i + 1,
      duration: undefined,
      name: nameFromPath(line),
    };
    pending = null;
    const t = splitArtistTitle(entry.name);
    if (!t) {
      out.problems.push({ line: entry.line, message: notArtistTitle(entry.name) });
      return;
    }
    out.tracks.push(entry.duration === undefined ? t : { ...t, durationSeconds: entry.duration });
  });
  if (pending) {
    const last = pending as { line: number; duration: number | undefined; name: string };
    // A last #EXTINF without its path line still names a track.
    const t = splitArtistTitle(last.name);
    if (t)
      out.tracks.push(last.duration === undefined ? t : { ...t, durationSeconds: last.duration });
    else out.problems.push({ line: last.line, message: notArtistTitle(last.name) });
  }
  return out;
}

/** "Music/Artist/Album/01 - Artist - Title.flac" → "Artist - Title". */
function nameFromPath(entry: string): string {
  const base = entry.split(/[\\/]/).pop() ?? entry;
  return base.replace(/\.[A-Za-z0-9]{1,5}$/, '').replace(/^\d{1,3}\s*[-.]\s+/, '');
}

type Column = 'artist' | 'title' | 'album' | 'duration' | 'durationMs';

/** Header cells (lowercased, letters and digits only) and the column each names. */
export const CSV_HEADERS: Readonly<Record<string, Column>> = {
  artist: 'artist',
  artists: 'artist',
  artistname: 'artist',
  artistnames: 'artist',
  performer: 'artist',
  band: 'artist',
  title: 'title',
  track: 'title',
  trackname: 'title',
  tracktitle: 'title',
  song: 'title',
  songname: 'title',
  name: 'title',
  album: 'album',
  albumname: 'album',
  albumtitle: 'album',
  release: 'album',
  duration: 'duration',
  durations: 'duration',
  length: 'duration',
  time: 'duration',
  seconds: 'duration',
  durationseconds: 'duration',
  durationms: 'durationMs',
  lengthms: 'durationMs',
};

const headerKey = (cell: string): string => cell.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * CSV with artist, title, album and duration columns in any order when the first row names them
 * (Exportify's "Track Name", "Artist Name(s)", "Duration (ms)" too); without such a header row the
 * columns are artist, title, album, duration in that order. Other columns are ignored.
 */
export function parseCsvPlaylist(text: string): Playlist {
  const out: Playlist = { tracks: [], problems: [] };
  let rows: string[][];
  try {
    rows = parseCsv(text, detectDelimiter(text));
  } catch (error) {
    out.problems.push({ line: 0, message: (error as Error).message });
    return out;
  }
  const columns = headerColumns(rows[0] ?? []);
  const body = columns ? rows.slice(1) : rows;
  const map =
    columns ??
    new Map<Column, number>([
      ['artist', 0],
      ['title', 1],
      ['album', 2],
      ['duration', 3],
    ]);
  body.forEach((row, i) => {
    const line = i + 1 + (columns ? 1 : 0);
    const cell = (c: Column): string => {
      const at = map.get(c);
      return at === undefined ? '' : (row[at] ?? '').trim();
    };
    let artist = cell('artist');
    let title = cell('title');
    // A one-column file without header is a list of "Artist - Title".
    if (!columns && row.length === 1) {
      const t = splitArtistTitle(artist);
      if (t) ({ artist, title } = t);
    }
    if (artist === '' || title === '') {
      out.problems.push({
        line,
        message: `row ${line} has no ${artist === '' ? 'artist' : 'title'}`,
      });
      return;
    }
    const track: TrackRequest = { artist, title };
    const album = cell('album');
    if (album !== '') track.album = album;
    const ms = map.has('durationMs');
    const duration = parseDuration(cell(ms ? 'durationMs' : 'duration'), ms ? 'ms' : 's');
    if (duration === 'invalid') {
      out.problems.push({
        line,
        message: `row ${line}: "${cell(ms ? 'durationMs' : 'duration')}" is not a duration`,
      });
      return;
    }
    if (duration !== undefined) track.durationSeconds = duration;
    out.tracks.push(track);
  });
  return out;
}

function headerColumns(row: string[]): Map<Column, number> | null {
  const map = new Map<Column, number>();
  row.forEach((cell, i) => {
    const column = CSV_HEADERS[headerKey(cell)];
    // The first column of a kind wins ("Track Name" before a later "Name").
    if (column && !map.has(column)) map.set(column, i);
  });
  if (map.has('durationMs')) map.delete('duration');
  return map.has('artist') && map.has('title') ? map : null;
}

/**
 * "215", "215.4", "3:35", "1:02:03" (seconds) or milliseconds for an ms column; undefined when
 * empty, 'invalid' when it is no duration SoulSpot takes (over 0, at most a day).
 */
export function parseDuration(text: string, unit: 's' | 'ms'): number | undefined | 'invalid' {
  const t = text.trim();
  if (t === '') return undefined;
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(t)) seconds = unit === 'ms' ? Number(t) / 1000 : Number(t);
  else if (unit === 's' && /^\d+(:[0-5]\d){1,2}(\.\d+)?$/.test(t)) {
    seconds = t.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
  } else return 'invalid';
  return seconds > 0 && seconds <= 86_400 ? Math.round(seconds * 1000) / 1000 : 'invalid';
}

const lines = (text: string): string[] => text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
