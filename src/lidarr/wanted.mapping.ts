import type { CreateAlbumRequest } from '../albums/albums.dto.js';
import { MAX_ALBUM_TRACKS } from '../albums/folder-choice.js';
import { dedupeKey } from '../downloads/download.js';
import type { LidarrAlbum, LidarrTrack } from './lidarr.api.js';

/**
 * A Lidarr wanted album and its tracks as a SoulSpot album request (pure). Lidarr numbers tracks
 * per medium (`absoluteTrackNumber`, `mediumNumber`) and gives durations in ms. SoulSpot refuses
 * two tracks with one number on a disc, or one title twice (they would be one download): the later
 * one is left out, as SoulSpot could not ask for it anyway.
 */
export function albumRequest(
  album: LidarrAlbum,
  tracks: readonly LidarrTrack[],
): CreateAlbumRequest | null {
  const artist = album.artist?.artistName.trim();
  const title = album.title.trim();
  if (!artist || !title) return null;
  const year = album.releaseDate ? new Date(album.releaseDate).getUTCFullYear() : NaN;
  const slots = new Set<string>();
  const titles = new Set<string>();
  const out: NonNullable<CreateAlbumRequest['tracks']> = [];
  const sorted = [...tracks].sort(
    (a, b) => a.mediumNumber - b.mediumNumber || a.absoluteTrackNumber - b.absoluteTrackNumber,
  );
  for (const t of sorted) {
    const name = t.title.trim();
    const number = t.absoluteTrackNumber;
    if (!name || number < 1 || number > 999) continue;
    const disc = t.mediumNumber >= 1 && t.mediumNumber <= 99 ? t.mediumNumber : null;
    const slot = `${disc ?? 1}:${number}`;
    const key = dedupeKey({ artist, title: name, album: title });
    if (slots.has(slot) || titles.has(key)) continue;
    slots.add(slot);
    titles.add(key);
    out.push({
      title: name.slice(0, 500),
      trackNumber: number,
      discNumber: disc,
      durationSeconds: t.duration > 0 ? Math.min(86_400, t.duration / 1000) : null,
    });
    if (out.length >= MAX_ALBUM_TRACKS) break;
  }
  return {
    artist: artist.slice(0, 500),
    album: title.slice(0, 500),
    ...(Number.isFinite(year) && year >= 1 && year <= 9999 ? { year } : {}),
    // No tracks known (Lidarr has not refreshed the release): the best complete folder's files.
    ...(out.length > 0 ? { tracks: out } : {}),
  };
}
