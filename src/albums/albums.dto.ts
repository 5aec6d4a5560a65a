import type { Selectable } from 'kysely';
import { Type, type Static } from 'typebox';
import type { AlbumsTable } from '../db/schema.js';
import { SourceSchema, WIRE_STATUSES, type DownloadDto } from '../downloads/download.dto.js';
import { PreferredProviderSchema, Text } from '../http/schemas.js';
import { UUID_FORMAT } from '../http/validation.js';
import {
  ALBUM_STATUSES,
  albumStatus,
  trackTotal,
  type AlbumStatus,
  type TrackCounts,
} from './album-status.js';
import { folderOf, MAX_ALBUM_TRACKS } from './folder-choice.js';

/** Where an album's folder search stands (albums.folder_search, migration 022). */
export const FOLDER_SEARCH_STATES = ['pending', 'done', 'failed'] as const;
/** The album statuses the API shows: the derived ones and `searching` (no tracks yet, search pending). */
export const ALBUM_WIRE_STATUSES: readonly (AlbumStatus | 'searching')[] = [
  ...ALBUM_STATUSES,
  'searching',
];

/** The album as the API and its events send it; `tracks` only from GET/POST of one album. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

export { MAX_ALBUM_TRACKS };

export const AlbumTrackBody = Type.Object(
  {
    title: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
    trackNumber: Type.Integer({ minimum: 1, maximum: 999 }),
    discNumber: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 99 }), Type.Null()])),
    durationSeconds: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);

export const CreateAlbumBody = Type.Object(
  {
    artist: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
    album: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
    year: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 9999 }), Type.Null()])),
    /** Absent: the tracks are the best complete folder's files. */
    tracks: Type.Optional(Type.Array(AlbumTrackBody, { minItems: 1, maxItems: MAX_ALBUM_TRACKS })),
    qualityProfileId: Type.Optional(
      Type.Union([Type.String({ format: UUID_FORMAT }), Type.Null()]),
    ),
    /**
     * A configured indexer each of its tracks searches first when it searches on its own (not in
     * the chosen folder, or after the folder's file failed), then the profile's provider order.
     * Absent or null: the profile's order alone. With `tracks`, an enabled indexer other than
     * slskd and no `folder`, the Soulseek folder search is skipped and every track searches it
     * first (albums.service.ts `searchesFolder`); otherwise the folder search is not changed by it.
     */
    provider: Type.Optional(PreferredProviderSchema),
    /**
     * A folder at one source to take the album from (as `folder` of an album, or a search
     * result's path without the file name): taken while it holds as many of the tracks as the
     * best folder found; absent or thinner, the best one.
     */
    folder: Type.Optional(
      Type.Object(
        {
          provider: Type.Optional(Text({ minLength: 1, maxLength: 50 })),
          username: Text({ minLength: 1, maxLength: 500 }),
          directory: Text({ minLength: 1, maxLength: 4000 }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CreateAlbumRequest = Static<typeof CreateAlbumBody>;

export const AlbumFolderSchema = Type.Object({
  provider: Type.String(),
  username: Type.String(),
  directory: Type.String(),
  /** Files in the folder as browsed. */
  fileCount: Nullable(Type.Integer()),
});

export const AlbumTrackSchema = Type.Object({
  downloadId: Type.String(),
  title: Type.String(),
  trackNumber: Nullable(Type.Integer()),
  discNumber: Nullable(Type.Integer()),
  status: Type.Union(WIRE_STATUSES.map((s) => Type.Literal(s))),
  errorCode: Nullable(Type.String()),
  errorMessage: Nullable(Type.String()),
  /** The source the track is (or was last) coming from. */
  source: Nullable(SourceSchema),
  /** Whether that source is the album's chosen folder. */
  fromFolder: Type.Boolean(),
  libraryPath: Nullable(Type.String()),
});

export const AlbumCountsSchema = Type.Object({
  waiting: Type.Integer(),
  working: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
});

export const AlbumSchema = Type.Object({
  id: Type.String(),
  artist: Type.String(),
  album: Type.String(),
  year: Nullable(Type.Integer()),
  qualityProfileId: Nullable(Type.String()),
  /** The indexer its tracks search first (the request's `provider`); null = none. */
  preferredProvider: Nullable(Type.String()),
  /**
   * Derived from the tracks (src/albums/album-status.ts); an album without tracks is `searching`
   * while its folder search is pending, and `failed` when it failed.
   */
  status: Type.Union(ALBUM_WIRE_STATUSES.map((s) => Type.Literal(s))),
  /**
   * The folder search (background, after the 201): `pending` (to run or running), `done` (the
   * folder chosen, or none: tracks search alone), `failed` (without a track list: nothing found
   * or the provider could not search; `error` says which; POST /retry searches again).
   */
  folderSearch: Type.Object({
    state: Type.Union(FOLDER_SEARCH_STATES.map((s) => Type.Literal(s))),
    error: Nullable(Type.String()),
  }),
  /** Tracks it has now: those removed from the history (batch remove) no longer count. */
  trackCount: Type.Integer(),
  /** The tracks by status group. */
  counts: AlbumCountsSchema,
  /** The peer folder chosen for it, or null when none had any of its tracks. */
  folder: Nullable(AlbumFolderSchema),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  completedAt: Nullable(Type.String()),
  tracks: Type.Optional(Type.Array(AlbumTrackSchema)),
});

export type AlbumDto = Static<typeof AlbumSchema>;
export type FolderSearchState = (typeof FOLDER_SEARCH_STATES)[number];
export type AlbumTrackDto = Static<typeof AlbumTrackSchema>;

export const AlbumListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Text({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const AlbumListSchema = Type.Object({
  items: Type.Array(AlbumSchema),
  nextCursor: Nullable(Type.String()),
});

/** The album's wire form from its row and its tracks' counts (and, for one album, its tracks). */
export function toAlbumDto(
  row: AlbumRowLike,
  counts: TrackCounts,
  tracks?: readonly { download: DownloadDto }[],
): AlbumDto {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const folder =
    row.folder_username !== null && row.folder_directory !== null
      ? {
          provider: row.folder_provider ?? '',
          username: row.folder_username,
          directory: row.folder_directory,
          fileCount: row.folder_files,
        }
      : null;
  return {
    id: row.id,
    artist: row.artist,
    album: row.album,
    year: row.year,
    qualityProfileId: row.quality_profile_id,
    preferredProvider: row.preferred_provider ?? null,
    status: statusOf(row, counts),
    folderSearch: {
      state: ((row.folder_search as FolderSearchState | undefined) ??
        'done') as AlbumDto['folderSearch']['state'],
      error: row.folder_search_error ?? null,
    },
    // Counted, not the stored count: tracks removed from the history no longer count.
    trackCount: trackTotal(counts),
    counts,
    folder,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    completedAt: iso(row.completed_at),
    ...(tracks
      ? {
          tracks: tracks.map(({ download: d }) => ({
            downloadId: d.id,
            title: d.title,
            trackNumber: d.trackNumber,
            discNumber: d.discNumber,
            status: d.status,
            errorCode: d.errorCode,
            errorMessage: d.errorMessage,
            source: d.source,
            fromFolder:
              folder !== null &&
              d.source !== null &&
              d.source.username === folder.username &&
              // An indexer release's folder is its title (its tracks' file name) and the folder
              // inside it (indexer-album.ts).
              (folderOf(d.source.filename) === folder.directory ||
                folder.directory === d.source.filename ||
                folder.directory.startsWith(`${d.source.filename}/`)),
            libraryPath: d.libraryPath,
          })),
        }
      : {}),
  };
}

type AlbumRowLike = Selectable<AlbumsTable>;

/** The tracks' status; before an album has any, what its folder search says. */
function statusOf(row: AlbumRowLike, counts: TrackCounts): AlbumDto['status'] {
  const empty = trackTotal(counts) === 0;
  const status: AlbumStatus | 'searching' =
    empty && row.folder_search === 'pending'
      ? 'searching'
      : empty && row.folder_search === 'failed'
        ? 'failed'
        : albumStatus(counts);
  return status as AlbumDto['status'];
}
