import { Type, type Static } from 'typebox';
import { DOWNLOAD_STATUSES, type TrackRequest } from '../downloads/download.js';
import { TEXT_KEYWORD, UUID_FORMAT } from './validation.js';

/** Request schemas. Unknown fields are rejected so a typo (e.g. "titel") is a 400, not a silent drop. */

/**
 * Every text input, in bodies, query strings and paths: text both databases store exactly as sent
 * (no NUL, no lone surrogates; see validation.ts). `nonBlank` asks for one non-space character.
 */
export const Text = (options: {
  maxLength: number;
  minLength?: number;
  nonBlank?: boolean;
  description?: string;
}) => {
  const { nonBlank, ...rest } = options;
  return Type.String({ ...rest, ...(nonBlank ? { pattern: '\\S' } : {}), [TEXT_KEYWORD]: true });
};

const OptionalText = (max: number) =>
  Type.Optional(Type.Union([Text({ maxLength: max }), Type.Null()]));
const OptionalInt = (min: number, max: number) =>
  Type.Optional(Type.Union([Type.Integer({ minimum: min, maximum: max }), Type.Null()]));

const OptionalId = Type.Optional(Type.Union([Type.String({ format: UUID_FORMAT }), Type.Null()]));

/**
 * What a request may add for the filed file's tags and cover (post-processing, migration 015).
 * MusicBrainz ids are lowercase UUIDs as musicbrainz.org shows them; an ISRC is the 12 characters
 * without hyphens (CC-XXX-YY-NNNNN written as CCXXXYYNNNNN).
 */
export const TagFields = {
  /** A JPEG or PNG to embed as the front cover; fetched with size, time and address limits. */
  coverUrl: Type.Optional(
    Type.Union([
      Type.String({
        maxLength: 2000,
        pattern: '^[hH][tT][tT][pP][sS]?://[^\\s/?#]+([/?#]\\S*)?$',
        [TEXT_KEYWORD]: true,
        description: 'http(s) URL of a JPEG or PNG front cover',
      }),
      Type.Null(),
    ]),
  ),
  isrc: Type.Optional(
    Type.Union([Type.String({ pattern: '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$' }), Type.Null()]),
  ),
  musicbrainzRecordingId: OptionalId,
  musicbrainzReleaseId: OptionalId,
  musicbrainzArtistId: OptionalId,
  musicbrainzReleaseGroupId: OptionalId,
  trackTotal: OptionalInt(1, 999),
  discTotal: OptionalInt(1, 99),
};

/**
 * A file to fetch, as a manual search's result names it (POST /api/search, its `source`): the
 * download takes exactly this peer's file first. The fields of the result, copied.
 */
export const SourceBody = Type.Object(
  {
    provider: Type.Optional(Type.Literal('slskd')),
    username: Text({ minLength: 1, maxLength: 200, nonBlank: true }),
    filename: Text({ minLength: 1, maxLength: 2000, nonBlank: true }),
    /** Bytes, as the result reports it (the daemon asks the peer for exactly this size). */
    size: Type.Integer({ minimum: 1, maximum: 2 ** 42 }),
    bitRate: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    sampleRate: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    bitDepth: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    lengthSeconds: Type.Optional(Type.Union([Type.Number({ minimum: 0 }), Type.Null()])),
  },
  { additionalProperties: false },
);

export type SourceRequest = Static<typeof SourceBody>;

/** A configured indexer to search first (a request's `provider`); null = the profile's order alone. */
export const PreferredProviderSchema = Type.Union([
  Text({
    minLength: 1,
    maxLength: 80,
    description:
      'a configured indexer to search first (slskd, or torznab:<id> for a Torznab or Newznab indexer)',
  }),
  Type.Null(),
]);

/** The fields of one requested track (a bulk item is exactly these). */
const TrackFields = {
  artist: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
  title: Text({ minLength: 1, maxLength: 500, nonBlank: true }),
  album: OptionalText(500),
  albumArtist: OptionalText(500),
  trackNumber: OptionalInt(1, 999),
  discNumber: OptionalInt(1, 99),
  // No format stores a year 0 (it reads back as none), so it could never be tagged.
  year: OptionalInt(1, 9999),
  genre: OptionalText(200),
  /** Seconds, fractions kept as sent (a double on both databases). */
  durationSeconds: Type.Optional(
    Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }), Type.Null()]),
  ),
  /** Higher runs first. Default 0. */
  priority: Type.Optional(Type.Integer({ minimum: -1000, maximum: 1000 })),
  /** Held (`scheduled`) until then; a time gone by, or null, is due at once. */
  scheduledAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  /** A quality profile's id (GET /api/quality-profiles); absent or null = the default at search time. */
  qualityProfileId: Type.Optional(Type.Union([Type.String({ format: UUID_FORMAT }), Type.Null()])),
  /**
   * A configured indexer to search first (slskd, or torznab:<id> for a Torznab or Newznab indexer); then the profile's
   * provider order. Absent or null: the profile's order alone. Checked against the indexers
   * configured now, in the service (sources come and go while SoulSpot runs).
   */
  provider: Type.Optional(PreferredProviderSchema),
  ...TagFields,
};

/** One item of POST /api/downloads/bulk. */
export const TrackBody = Type.Object(TrackFields, { additionalProperties: false });

export const CreateDownloadBody = Type.Object(
  {
    ...TrackFields,
    /**
     * Fetch this file first (a manual search's result). An active download of the track switches
     * to it, as POST /api/downloads/{id}/source does.
     */
    source: Type.Optional(SourceBody),
  },
  { additionalProperties: false },
);

/** A create body as the downloads service takes it: the time as epoch ms. */
export function trackRequest(
  body: Static<typeof CreateDownloadBody> | Static<typeof TrackBody>,
): TrackRequest {
  const { scheduledAt, ...rest } = body;
  if ('source' in rest) delete rest.source;
  return {
    ...rest,
    ...(scheduledAt !== undefined
      ? { scheduledAt: scheduledAt === null ? null : Date.parse(scheduledAt) }
      : {}),
  };
}

/** Downloads and blocklist entries: the UUID SoulSpot gave them. A well-formed unknown id is a 404. */
export const IdParams = Type.Object({ id: Type.String({ format: UUID_FORMAT }) });

export const ListQuery = Type.Object(
  {
    /** Comma-separated statuses. */
    status: Type.Optional(
      Text({ maxLength: 200, description: `comma-separated: ${DOWNLOAD_STATUSES.join(', ')}` }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
    cursor: Type.Optional(Text({ maxLength: 500 })),
    order: Type.Optional(
      Type.Union([Type.Literal('newest'), Type.Literal('oldest'), Type.Literal('queue')], {
        default: 'newest',
        description:
          'newest/oldest by creation; queue: the order the runner claims in (priority desc, ' +
          'position, age), what POST /api/downloads/reorder changes',
      }),
    ),
    /** The provider of the download's current source (`source.provider`). */
    provider: Type.Optional(
      Text({ minLength: 1, maxLength: 100, nonBlank: true, description: 'e.g. slskd' }),
    ),
    /** Case-insensitive substring of artist, title or album (as the batch filter's `text`). */
    q: Type.Optional(
      Text({
        minLength: 1,
        maxLength: 200,
        description: 'case-insensitive substring of artist, title or album',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
});

/** One provider's state in /api/health. */
export const ProviderHealthSchema = Type.Object({
  state: Type.Union([Type.Literal('up'), Type.Literal('down'), Type.Literal('unknown')]),
  circuit: Type.Optional(
    Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
  ),
  version: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  checkedAt: Type.Union([Type.String(), Type.Null()]),
});

export const HealthBody = Type.Object({
  /** ok when every provider is up. */
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]),
  /** Provider id → its state: `slskd` always (the only provider so far), others as configured. */
  providers: Type.Record(Type.String(), ProviderHealthSchema),
  queue: Type.Record(Type.String(), Type.Integer()),
  /**
   * The fake-lossless check: `available: false` (ffmpeg missing or broken) means lossless files
   * are filed unchecked, each recorded with `transcodeCheck: "skipped"`. (Was `checks.transcode`.)
   */
  transcode: Type.Object({ available: Type.Boolean(), message: Type.String() }),
  /** The health checks (src/health/health-checks.ts), as the *arr apps list them. */
  checks: Type.Array(
    Type.Object({
      name: Type.String(),
      status: Type.Union([Type.Literal('ok'), Type.Literal('warning'), Type.Literal('error')]),
      message: Type.String(),
    }),
  ),
});
