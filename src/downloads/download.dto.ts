import { Type, type Static } from 'typebox';
import { DOWNLOAD_STATUSES, isActive, type DownloadStatus } from './download.js';
import { ERROR_CODES } from './error-codes.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';

/** The Download as the API and SSE send it. One schema: validation, serialization, OpenAPI, types. */

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

/** Statuses as the API shows them: the stored ones plus the two holds. */
export const WIRE_STATUSES = [...DOWNLOAD_STATUSES, 'paused', 'scheduled'] as const;
export type WireStatus = (typeof WIRE_STATUSES)[number];

/**
 * The fake-lossless check (library/spectrum.ts) as the API shows it, for the filed file on a
 * Download and for each checked source on its attempts and candidates. `transcodeCheck` is clean |
 * suspect | inconclusive | skipped (ffmpeg missing or unable to decode: nothing was checked);
 * null = not checked (a lossy file, or not that far yet).
 */
export const TRANSCODE_CHECKS = ['clean', 'suspect', 'inconclusive', 'skipped'] as const;
export type TranscodeCheck = (typeof TRANSCODE_CHECKS)[number];

export const TranscodeFields = {
  transcodeCheck: Nullable(
    Type.Union([
      Type.Literal('clean'),
      Type.Literal('suspect'),
      Type.Literal('inconclusive'),
      Type.Literal('skipped'),
    ]),
  ),
  /** True when the file looks like a lossy file converted to lossless; null = not checked. */
  suspectTranscode: Nullable(Type.Boolean()),
  /** Where its spectrum stops (Hz), for a suspect file with a frequency cliff. */
  transcodeCutoffHz: Nullable(Type.Integer()),
};

type TranscodeColumns = Pick<
  AttemptRow,
  'transcode_check' | 'suspect_transcode' | 'transcode_cutoff_hz'
>;

/** The check's columns (downloads or attempts) in their wire form. */
export function transcodeFields(row: Partial<TranscodeColumns>) {
  return {
    transcodeCheck: (row.transcode_check ?? null) as TranscodeCheck | null,
    suspectTranscode:
      row.suspect_transcode === null || row.suspect_transcode === undefined
        ? null
        : row.suspect_transcode === 1,
    transcodeCutoffHz: row.transcode_cutoff_hz ?? null,
  };
}

/**
 * Which file of which source: an attempt names its file by these, and a candidate's check is found
 * by them (candidates.dto.ts).
 */
export const FileIdentityFields = {
  provider: Type.String(),
  username: Type.String(),
  /** The remote path exactly as reported (Soulseek paths use backslashes). */
  filename: Type.String(),
  size: Type.Number(),
};

/**
 * A source's file as the API shows it, wherever it appears: the Download's `source` and each
 * candidate of GET /api/downloads/{id}/candidates (which adds the peer's availability). One
 * description, in one field order, so those cannot drift apart.
 */
export const FileFields = {
  ...FileIdentityFields,
  extension: Type.String(),
  bitRate: Nullable(Type.Number()),
  sampleRate: Nullable(Type.Number()),
  bitDepth: Nullable(Type.Number()),
  lengthSeconds: Nullable(Type.Number()),
};

export const SourceSchema = Type.Object(FileFields);
export type FileDto = Static<typeof SourceSchema>;

/** A file's facts, from a candidate or an attempt's columns, in wire form: unknown is null. */
export function fileDto(f: {
  provider: string;
  username: string;
  filename: string;
  size: number;
  extension: string;
  bitRate?: number | null | undefined;
  sampleRate?: number | null | undefined;
  bitDepth?: number | null | undefined;
  lengthSeconds?: number | null | undefined;
}): FileDto {
  return {
    provider: f.provider,
    username: f.username,
    filename: f.filename,
    size: f.size,
    extension: f.extension,
    bitRate: f.bitRate ?? null,
    sampleRate: f.sampleRate ?? null,
    bitDepth: f.bitDepth ?? null,
    lengthSeconds: f.lengthSeconds ?? null,
  };
}

export const AttemptSchema = Type.Object({
  id: Type.String(),
  ...FileIdentityFields,
  transferId: Nullable(Type.String()),
  /** pending | enqueued | succeeded | failed | cancelled */
  outcome: Type.String(),
  errorCode: Nullable(Type.String()),
  errorMessage: Nullable(Type.String()),
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  ...TranscodeFields,
});

export const DownloadSchema = Type.Object({
  id: Type.String(),
  /**
   * The status, except that an unfinished download on hold shows `paused` or `scheduled` (its
   * status underneath is where it resumes).
   */
  status: Type.Union(WIRE_STATUSES.map((s) => Type.Literal(s))),
  /** When a scheduled download becomes due. */
  scheduledAt: Nullable(Type.String()),
  artist: Type.String(),
  title: Type.String(),
  album: Nullable(Type.String()),
  albumArtist: Nullable(Type.String()),
  trackNumber: Nullable(Type.Integer()),
  discNumber: Nullable(Type.Integer()),
  year: Nullable(Type.Integer()),
  genre: Nullable(Type.String()),
  durationSeconds: Nullable(Type.Number()),
  /** The quality profile it searches with; null = whichever profile is the default when it searches. */
  qualityProfileId: Nullable(Type.String()),
  /**
   * The indexer it searches first, then its profile's provider order (the request's or its watch
   * rule's `provider`); null = the profile's order alone.
   */
  preferredProvider: Nullable(Type.String()),
  /** What the request gave for the filed file's tags and cover (post-processing). */
  coverUrl: Nullable(Type.String()),
  isrc: Nullable(Type.String()),
  musicbrainzRecordingId: Nullable(Type.String()),
  musicbrainzReleaseId: Nullable(Type.String()),
  musicbrainzArtistId: Nullable(Type.String()),
  musicbrainzReleaseGroupId: Nullable(Type.String()),
  trackTotal: Nullable(Type.Integer()),
  discTotal: Nullable(Type.Integer()),
  priority: Type.Integer(),
  progress: Type.Number({ minimum: 0, maximum: 100 }),
  bytesTransferred: Type.Number(),
  size: Nullable(Type.Number()),
  queuePosition: Nullable(Type.Integer()),
  retryCount: Type.Integer(),
  maxRetries: Type.Integer(),
  nextRetryAt: Nullable(Type.String()),
  errorCode: Nullable(Type.Union(ERROR_CODES.map((c) => Type.Literal(c)))),
  errorMessage: Nullable(Type.String()),
  source: Nullable(SourceSchema),
  attempts: Type.Array(AttemptSchema),
  libraryPath: Nullable(Type.String()),
  ...TranscodeFields,
  createdAt: Type.String(),
  updatedAt: Type.String(),
  completedAt: Nullable(Type.String()),
});

export type DownloadDto = Static<typeof DownloadSchema>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toDownloadDto(row: DownloadRow, attempts: AttemptRow[]): DownloadDto {
  const current = attempts.find((a) => a.id === row.current_attempt_id) ?? null;
  return {
    id: row.id,
    status: (isActive(row.status as DownloadStatus) &&
    (row.hold === 'paused' || row.hold === 'scheduled')
      ? row.hold
      : row.status) as DownloadDto['status'],
    scheduledAt: iso(row.scheduled_at ?? null),
    artist: row.artist,
    title: row.title,
    album: row.album,
    albumArtist: row.album_artist,
    trackNumber: row.track_number,
    discNumber: row.disc_number,
    year: row.year,
    genre: row.genre,
    durationSeconds: row.duration_seconds,
    qualityProfileId: row.quality_profile_id ?? null,
    preferredProvider: row.preferred_provider ?? null,
    coverUrl: row.cover_url ?? null,
    isrc: row.isrc ?? null,
    musicbrainzRecordingId: row.musicbrainz_recording_id ?? null,
    musicbrainzReleaseId: row.musicbrainz_release_id ?? null,
    musicbrainzArtistId: row.musicbrainz_artist_id ?? null,
    musicbrainzReleaseGroupId: row.musicbrainz_release_group_id ?? null,
    trackTotal: row.track_total ?? null,
    discTotal: row.disc_total ?? null,
    priority: row.priority,
    progress: Math.round(row.progress * 10) / 10,
    bytesTransferred: row.bytes_transferred,
    size: row.size,
    queuePosition: row.queue_position,
    retryCount: row.retry_count,
    maxRetries: row.max_retries,
    nextRetryAt: iso(row.next_retry_at),
    errorCode: row.error_code as DownloadDto['errorCode'],
    errorMessage: row.error_message,
    source: current
      ? fileDto({
          ...current,
          bitRate: current.bit_rate,
          sampleRate: current.sample_rate,
          bitDepth: current.bit_depth,
          lengthSeconds: current.length_seconds,
        })
      : null,
    attempts: attempts.map((a) => ({
      id: a.id,
      provider: a.provider,
      username: a.username,
      filename: a.filename,
      size: a.size,
      transferId: a.transfer_id,
      outcome: a.state,
      errorCode: a.error_code,
      errorMessage: a.error_message,
      startedAt: new Date(a.created_at).toISOString(),
      finishedAt: iso(a.finished_at),
      ...transcodeFields(a),
    })),
    libraryPath: row.library_path,
    ...transcodeFields(row),
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    completedAt: iso(row.completed_at),
  };
}

/**
 * `download.updated` as the event log and SSE carry it: the whole Download and, when a worker made
 * the change, `changed`, the fields this change set (camelCase, as in the Download; `updatedAt`
 * never listed). Without `changed` the event is a snapshot from a command or an accept: treat every
 * field as possibly new.
 */
export type DownloadUpdate = DownloadDto & { changed?: string[] };

/**
 * `download.progress`: a transfer's numbers moved and nothing else about the Download did (the
 * status, attempts and everything else are as in the last `download.updated`). Apply it to the
 * Download with that id.
 */
export interface DownloadProgress {
  id: string;
  /** 0–100, one decimal, as in the Download. */
  progress: number;
  bytesTransferred: number;
  /** Place in the peer's upload queue while queued there, else null. */
  queuePosition: number | null;
  updatedAt: string;
  /** Bytes/s as the daemon measures it, when it says. */
  speed?: number;
}

/**
 * A `download.progress` delta from the row's transfer numbers, rounded as the Download shows them:
 * written where a change is announced without the whole Download (a parked download's new place).
 */
export function toProgressDto(row: {
  id: string;
  progress: number;
  bytes_transferred: number;
  queue_position: number | null;
  updated_at: number;
}): DownloadProgress {
  return {
    id: row.id,
    progress: Math.round(row.progress * 10) / 10,
    bytesTransferred: row.bytes_transferred,
    queuePosition: row.queue_position,
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
