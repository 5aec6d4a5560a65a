/**
 * What SoulSpot writes into a filed track, and how a read-back is judged (pure: no I/O).
 *
 * Only the fields given are written; a field left null keeps whatever the file already carries
 * (the peer's own tags are often right about what we were not told, e.g. the genre). MusicBrainz
 * ids follow Picard's convention, which is what music-metadata and every player read: the
 * recording id goes where taglib-sharp calls it the "track id" (ID3v2 UFID, Vorbis
 * MUSICBRAINZ_TRACKID, MP4 "MusicBrainz Track Id").
 */
export interface TrackTags {
  title: string | null;
  artist: string | null;
  album: string | null;
  albumArtist: string | null;
  trackNumber: number | null;
  trackTotal: number | null;
  discNumber: number | null;
  discTotal: number | null;
  year: number | null;
  genre: string | null;
  isrc: string | null;
  musicbrainzRecordingId: string | null;
  musicbrainzReleaseId: string | null;
  musicbrainzArtistId: string | null;
  musicbrainzReleaseGroupId: string | null;
}

/** No text tags at all: what is written (and checked) when only a cover goes in. */
export const NO_TAGS: Readonly<TrackTags> = {
  title: null,
  artist: null,
  album: null,
  albumArtist: null,
  trackNumber: null,
  trackTotal: null,
  discNumber: null,
  discTotal: null,
  year: null,
  genre: null,
  isrc: null,
  musicbrainzRecordingId: null,
  musicbrainzReleaseId: null,
  musicbrainzArtistId: null,
  musicbrainzReleaseGroupId: null,
};

/** An image to embed as the front cover. */
export interface CoverImage {
  mime: 'image/jpeg' | 'image/png';
  data: Uint8Array;
}

/** The formats the tag writer handles, by file extension (lower case, no dot). */
export const TAGGABLE_EXTENSIONS = ['mp3', 'flac', 'm4a', 'mp4', 'aac', 'ogg', 'oga', 'opus'];

export function isTaggable(extension: string): boolean {
  return TAGGABLE_EXTENSIONS.includes(extension.toLowerCase());
}

/** The tags as music-metadata's `common` block reports them (the subset SoulSpot writes). */
export interface ReadBackTags {
  title?: string;
  artist?: string;
  artists?: string[];
  album?: string;
  albumartist?: string;
  track?: { no: number | null; of: number | null };
  disk?: { no: number | null; of: number | null };
  year?: number;
  genre?: string[];
  isrc?: string[];
  musicbrainz_recordingid?: string;
  musicbrainz_albumid?: string;
  musicbrainz_artistid?: string[];
  musicbrainz_releasegroupid?: string;
  picture?: { format: string; data: Uint8Array }[];
}

/**
 * The fields that did not come back as written, as "field: wanted X, read Y" lines; empty when
 * the file says what was written. `cover` is checked too when given: the file's front cover must
 * be exactly those bytes.
 */
export function tagMismatches(
  wanted: TrackTags,
  read: ReadBackTags,
  cover?: CoverImage | null,
): string[] {
  const out: string[] = [];
  const check = (field: string, want: unknown, got: unknown): void => {
    if (want === null || want === undefined) return;
    if (normalizeRead(want) !== normalizeRead(got))
      out.push(`${field}: wanted ${JSON.stringify(want)}, read ${JSON.stringify(got ?? null)}`);
  };
  check('title', wanted.title, read.title);
  check('artist', wanted.artist, read.artist ?? read.artists?.[0]);
  check('album', wanted.album, read.album);
  check('albumArtist', wanted.albumArtist, read.albumartist);
  check('trackNumber', wanted.trackNumber, read.track?.no);
  check('trackTotal', wanted.trackTotal, read.track?.of);
  check('discNumber', wanted.discNumber, read.disk?.no);
  check('discTotal', wanted.discTotal, read.disk?.of);
  check('year', wanted.year, read.year);
  check('genre', wanted.genre, read.genre?.[0]);
  check('isrc', wanted.isrc, read.isrc?.[0]);
  check('musicbrainzRecordingId', wanted.musicbrainzRecordingId, read.musicbrainz_recordingid);
  check('musicbrainzReleaseId', wanted.musicbrainzReleaseId, read.musicbrainz_albumid);
  check('musicbrainzArtistId', wanted.musicbrainzArtistId, read.musicbrainz_artistid?.[0]);
  check(
    'musicbrainzReleaseGroupId',
    wanted.musicbrainzReleaseGroupId,
    read.musicbrainz_releasegroupid,
  );
  if (cover) {
    const pictures = read.picture ?? [];
    if (!pictures.some((p) => sameBytes(p.data, cover.data)))
      out.push(
        `cover: wanted ${cover.data.length} bytes of ${cover.mime}, read ${pictures.length} picture(s)`,
      );
  }
  return out;
}

/** Tag readers trim and may turn numbers into strings; compare on trimmed text. */
function normalizeRead(value: unknown): string {
  return value === null || value === undefined ? '' : String(value).trim();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The image type from its first bytes (JPEG SOI + marker, PNG signature); null for anything else. */
export function imageTypeOf(data: Uint8Array): CoverImage['mime'] | null {
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff)
    return 'image/jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (data.length >= png.length && png.every((b, i) => data[i] === b)) return 'image/png';
  return null;
}
