import { groupByFolder } from '../albums/folder-choice.js';
import type { SearchResultDto } from '../search/search.dto.js';
import type { Candidate } from '../providers/provider.js';
import type { ReleaseIdentity } from './nzb.js';

/**
 * A live search's ranked files as Newznab releases (pure): one release per complete album folder
 * at one source, best first (the folder of the best-ranked file first, as SoulSpot ranked them).
 * A folder counts the files of its main format only (an album in one quality); a folder with
 * fewer than MIN_FILES of them is a stray track, not an album.
 */

/** Audio files of one format a folder needs to be offered as an album. */
export const MIN_FILES = 2;
/** Releases answered at most (below Lidarr's page size, so it asks for no second page). */
export const MAX_RELEASES = 50;

/** What Lidarr asked for: artist and album (t=music), or free text (t=search). */
export interface ReleaseQuery {
  artist: string | null;
  album: string | null;
  year: number | null;
}

export function folderReleases(result: SearchResultDto, query: ReleaseQuery): ReleaseIdentity[] {
  const files = result.ranked.map((r) => candidate(r.source));
  const out: ReleaseIdentity[] = [];
  for (const folder of groupByFolder(files)) {
    const byFormat = new Map<string, typeof files>();
    for (const f of folder.files) {
      const list = byFormat.get(f.extension) ?? [];
      list.push(f);
      byFormat.set(f.extension, list);
    }
    const [format, main] = [...byFormat.entries()].sort((a, b) => b[1].length - a[1].length)[0] ?? [
      '',
      [],
    ];
    if (main.length < MIN_FILES || folder.directory === '') continue;
    const rates = main
      .map((f) => f.bitRate)
      .filter((b): b is number => typeof b === 'number' && b > 0);
    const named = nameOfFolder(folder.directory);
    const artist = query.artist ?? named.artist;
    const album = query.album ?? named.album;
    if (!artist || !album) continue;
    out.push({
      artist,
      album,
      year: query.year ?? named.year,
      provider: folder.provider,
      username: folder.username,
      directory: folder.directory,
      files: main.length,
      size: main.reduce((n, f) => n + f.size, 0),
      format,
      bitRate:
        rates.length > 0 ? Math.round(rates.reduce((a, b) => a + b, 0) / rates.length) : null,
    });
    if (out.length >= MAX_RELEASES) break;
  }
  return out;
}

/**
 * Artist, album and year read from a peer's folder path, for a free-text search (which names no
 * artist): "Artist - Album (1999)" in the last folder, else "Artist\Album". Best effort; Lidarr
 * parses the title again itself.
 */
export function nameOfFolder(directory: string): {
  artist: string;
  album: string;
  year: number | null;
} {
  const parts = directory.split(/[\\/]/).filter((p) => p.trim() !== '');
  const last = parts.at(-1) ?? '';
  const yearMatch = /[([]((?:19|20)\d\d)[)\]]/.exec(last);
  const year = yearMatch ? Number(yearMatch[1]) : null;
  const clean = (s: string) =>
    s
      .replace(/[([][^)\]]*[)\]]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  const dash = last.indexOf(' - ');
  if (dash > 0)
    return { artist: clean(last.slice(0, dash)), album: clean(last.slice(dash + 3)), year };
  return { artist: clean(parts.at(-2) ?? ''), album: clean(last), year };
}

/** The item's title: what Lidarr's parser reads (artist, album, year, then quality in brackets). */
export function releaseFeedTitle(r: ReleaseIdentity): string {
  const year = r.year ? ` (${r.year})` : '';
  const rate = r.bitRate ? ` ${r.bitRate}kbps` : '';
  return `${r.artist} - ${r.album}${year} [${r.format.toUpperCase()}${rate}]`;
}

/** A ranked result's source as the candidate groupByFolder takes. */
function candidate(s: SearchResultDto['ranked'][number]['source']): Candidate {
  const base = s.filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return {
    provider: s.provider,
    username: s.username,
    filename: s.filename,
    size: s.size,
    extension: dot > 0 ? base.slice(dot + 1).toLowerCase() : '',
    ...(s.bitRate != null ? { bitRate: s.bitRate } : {}),
    hasFreeUploadSlot: false,
    queueLength: 0,
    uploadSpeed: 0,
  };
}
