import { normalizeForMatch } from '../matching/query.js';

/*
 * Reading an album folder's file names (pure): the folder of a path, a file's number, disc and
 * title as peers and releases name them ("01 - Title.flac", "1-02 Title", "Artist - 01 - Title",
 * a "CD2" folder).
 */

/** The remote folder of a path (backslash or slash), '' for a bare name. */
export function folderOf(filename: string): string {
  const cut = Math.max(filename.lastIndexOf('\\'), filename.lastIndexOf('/'));
  return cut < 0 ? '' : filename.slice(0, cut);
}

/** A disc number from the name of the file's own folder. */
export function discOfFolder(filename: string): number | null {
  const folder = folderOf(filename);
  const name = folder.slice(folderOf(folder).length).replace(/^[\\/]/, '');
  // "CD1", "Disc 2 - The Songs", "[CD 1 of 2]", "disk-03 (Remaster)"; not "Discography".
  const m = /^\W*(?:cd|dis[ck])\s*[-_.]?\s*(\d{1,2})(?!\d)/i.exec(name.trim());
  return m ? Number(m[1]) : null;
}

/** The file name without its folder and extension, as the ranking matches titles in it. */
export function stemOf(filename: string): string {
  const name = baseName(filename);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** The file name without its folder. */
export function baseName(filename: string): string {
  return filename.slice(folderOf(filename).length).replace(/^[\\/]/, '');
}

/** "1-02 …", "CD1 … \ 02 …" are not told apart here: a disc number only from a "d-tt" prefix. */
export function leadingNumbers(filename: string): { disc: number | null; track: number | null } {
  const stem = baseName(filename).trim();
  const dt = /^(\d{1,2})[-.](\d{1,3})(?!\d)/.exec(stem);
  if (dt) return { disc: Number(dt[1]), track: Number(dt[2]) };
  const t = /^(\d{1,3})(?!\d)/.exec(stem);
  return { disc: null, track: t ? Number(t[1]) : null };
}

/**
 * A track's number, disc and title from a file name: "01 - Title.flac", "01. Title", "1-01 Title",
 * "Artist - 01 - Title", "01 - Artist - Title". The title keeps the name's own spelling.
 */
export function parseTrackName(
  name: string,
  artist: string,
): { track: number | null; disc: number | null; title: string } {
  const dot = name.lastIndexOf('.');
  let stem = (dot > 0 ? name.slice(0, dot) : name).trim();
  const sep = /^\s*[-–.)_]\s*|^\s+/;
  const dropArtist = (s: string): string => {
    const m = /^(.+?)\s+[-–]\s+(.*)$/.exec(s);
    return m && normalizeForMatch(m[1]!) === normalizeForMatch(artist) ? m[2]! : s;
  };
  stem = dropArtist(stem);
  let disc: number | null = null;
  let track: number | null = null;
  const dt = /^(\d{1,2})-(\d{1,3})(?!\d)/.exec(stem);
  const t = /^(\d{1,3})(?!\d)/.exec(stem);
  if (dt) {
    disc = Number(dt[1]);
    track = Number(dt[2]);
    stem = stem.slice(dt[0].length);
  } else if (t) {
    track = Number(t[1]);
    stem = stem.slice(t[0].length);
  }
  if (track !== null) stem = dropArtist(stem.replace(sep, '').trim());
  const title = stem.replace(/^[-–.\s]+/, '').trim();
  return { track: track === 0 ? null : track, disc, title: title || name };
}
