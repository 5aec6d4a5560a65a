/** The Albums page's pure parts: progress of an album, and the add form as a POST body. */
import type { Album } from '../../types';

/** Tracks finished (completed) of the tracks it has, and the share as 0–100. */
export function albumProgress(album: Pick<Album, 'counts' | 'trackCount'>): {
  done: number;
  total: number;
  percent: number;
} {
  const done = album.counts.completed;
  const total = album.trackCount;
  return { done, total, percent: total === 0 ? 0 : Math.round((done / total) * 100) };
}

/** Whether cancel / retry can do anything (else the API answers 409). */
export function albumActions(album: Pick<Album, 'counts'>): { cancel: boolean; retry: boolean } {
  const c = album.counts;
  return { cancel: c.waiting + c.working > 0, retry: c.failed + c.cancelled > 0 };
}

export interface AlbumTrackInput {
  title: string;
  trackNumber: number;
}

const NUMBERED = /^(\d{1,3})\s*(?:[.)\-:]|\s)\s*(.+)$/;

/**
 * A pasted track list, one title a line: "3. Title", "3 - Title", "03 Title" take their number;
 * a line without one is numbered after the one before. Blank lines are skipped.
 */
export function parseTrackList(text: string): AlbumTrackInput[] {
  const out: AlbumTrackInput[] = [];
  let last = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = NUMBERED.exec(line);
    const n = m ? Number(m[1]) : NaN;
    if (m && n >= 1 && n <= 999 && (m[2] ?? '').trim() !== '') {
      out.push({ title: (m[2] ?? '').trim(), trackNumber: n });
      last = n;
    } else {
      last += 1;
      out.push({ title: line, trackNumber: last });
    }
  }
  return out;
}

export interface AlbumForm {
  artist: string;
  album: string;
  year: string;
  tracks: string;
  qualityProfileId: string;
}

export type AlbumParse =
  | {
      ok: true;
      body: {
        artist: string;
        album: string;
        year?: number;
        tracks?: AlbumTrackInput[];
        qualityProfileId?: string;
      };
    }
  | { ok: false; errors: Partial<Record<keyof AlbumForm, string>> };

/** The form as CreateAlbumBody (src/albums/albums.dto.ts) takes it. */
export function albumBody(form: AlbumForm): AlbumParse {
  const errors: Partial<Record<keyof AlbumForm, string>> = {};
  const artist = form.artist.trim();
  const album = form.album.trim();
  if (artist === '') errors.artist = 'required';
  if (album === '') errors.album = 'required';
  let year: number | undefined;
  if (form.year.trim() !== '') {
    year = Number(form.year.trim());
    if (!Number.isInteger(year) || year < 1 || year > 9999) errors.year = 'a year from 1 to 9999';
  }
  const tracks = parseTrackList(form.tracks);
  if (tracks.some((t) => [...t.title].length > 500))
    errors.tracks = 'a title is over 500 characters';
  // MAX_ALBUM_TRACKS in src/albums/folder-choice.ts.
  if (tracks.length > 200) errors.tracks = 'at most 200 tracks';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      artist,
      album,
      ...(year !== undefined ? { year } : {}),
      ...(tracks.length > 0 ? { tracks } : {}),
      ...(form.qualityProfileId ? { qualityProfileId: form.qualityProfileId } : {}),
    },
  };
}
