/**
 * What the UI declares for each API answer it reads: every field of the interfaces in types.ts
 * with the kind of its value, in tables the compiler holds to those interfaces (a key missing, one
 * not in its interface, or a kind that is not the field's type does not compile).
 * test/web-dto-drift.test.ts derives the same table from the server's TypeBox response schema and
 * compares, so a field renamed, dropped, changed from number to string, or made nullable or
 * optional on either side fails a test instead of showing as `undefined` or "NaN" on a page.
 *
 * A kind is the JSON types a value may have, in the order of `KIND_ORDER`, joined by `|`, with `?`
 * when the key may be absent: `'string'`, `'number|null'`, `'object|null'`, `'string?'`. String
 * literal unions are `string`; records and inline objects are `object` (the nested DTOs that have
 * their own interface have their own table); `unknown` is any value.
 */
import type {
  Album,
  AlbumCounts,
  AlbumTrack,
  AttemptDto,
  BatchResult,
  BlocklistEntry,
  Candidates,
  Delivery,
  Download,
  DownloadClientDto,
  FileDto,
  Health,
  IndexerDto,
  NamingPreview,
  QualityProfile,
  RankedCandidate,
  RejectedCandidate,
  SourceHealth,
  SourceTestResult,
  Stats,
  StatsDay,
  StatsGroup,
  Target,
  TestResult,
} from './types.js';

export const KIND_ORDER = ['string', 'number', 'boolean', 'array', 'object', 'null'] as const;
type Kind = (typeof KIND_ORDER)[number];

type Has<V, Part> = [Extract<V, Part>] extends [never] ? false : true;
/** The JSON kinds a TypeScript type's values have, as a union. */
type KindsOf<V> =
  | (Has<V, string> extends true ? 'string' : never)
  | (Has<V, number> extends true ? 'number' : never)
  | (Has<V, boolean> extends true ? 'boolean' : never)
  | (Has<V, readonly unknown[]> extends true ? 'array' : never)
  | (Has<Exclude<V, readonly unknown[]>, object> extends true ? 'object' : never)
  | (Has<V, null> extends true ? 'null' : never);
/** The kinds of `U` in `KIND_ORDER`, joined by `|`. */
type Joined<U, O extends readonly Kind[] = typeof KIND_ORDER> = O extends readonly [
  infer H extends Kind,
  ...infer R extends readonly Kind[],
]
  ? H extends U
    ? [Exclude<U, H>] extends [never]
      ? H
      : `${H}|${Joined<Exclude<U, H>, R>}`
    : Joined<U, R>
  : never;
/** The kind string of `T[K]`. */
export type KindOf<T, K extends keyof T> = `${unknown extends T[K]
  ? 'unknown'
  : Joined<KindsOf<Exclude<T[K], undefined>>>}${Partial<Pick<T, K>> extends Pick<T, K> ? '?' : ''}`;

/** Exactly the fields of `T`, each with its kind: `kindsOf<T>()({ id: 'string', … })`. */
function kindsOf<T>() {
  return (kinds: { readonly [K in keyof T]-?: KindOf<T, K> }): Record<string, string> => kinds;
}

/** An indexer's and a download client's fields (one shape, types.ts SourceBase). */
const SOURCE_KINDS = {
  id: 'string',
  type: 'string',
  enabled: 'boolean',
  position: 'number',
  source: 'string',
  settings: 'object',
  secrets: 'object',
  health: 'object',
  updatedAt: 'string|null',
} as const;

export const DTO_KINDS = {
  Download: kindsOf<Download>()({
    id: 'string',
    status: 'string',
    scheduledAt: 'string|null',
    artist: 'string',
    title: 'string',
    album: 'string|null',
    albumArtist: 'string|null',
    trackNumber: 'number|null',
    discNumber: 'number|null',
    year: 'number|null',
    genre: 'string|null',
    durationSeconds: 'number|null',
    qualityProfileId: 'string|null',
    preferredProvider: 'string|null',
    coverUrl: 'string|null',
    isrc: 'string|null',
    musicbrainzRecordingId: 'string|null',
    musicbrainzReleaseId: 'string|null',
    musicbrainzArtistId: 'string|null',
    musicbrainzReleaseGroupId: 'string|null',
    trackTotal: 'number|null',
    discTotal: 'number|null',
    priority: 'number',
    progress: 'number',
    bytesTransferred: 'number',
    size: 'number|null',
    queuePosition: 'number|null',
    retryCount: 'number',
    maxRetries: 'number',
    nextRetryAt: 'string|null',
    errorCode: 'string|null',
    errorMessage: 'string|null',
    source: 'object|null',
    attempts: 'array',
    libraryPath: 'string|null',
    transcodeCheck: 'string|null',
    suspectTranscode: 'boolean|null',
    transcodeCutoffHz: 'number|null',
    createdAt: 'string',
    updatedAt: 'string',
    completedAt: 'string|null',
  }),
  AttemptDto: kindsOf<AttemptDto>()({
    id: 'string',
    provider: 'string',
    username: 'string',
    filename: 'string',
    size: 'number',
    transferId: 'string|null',
    outcome: 'string',
    errorCode: 'string|null',
    errorMessage: 'string|null',
    startedAt: 'string',
    finishedAt: 'string|null',
    transcodeCheck: 'string|null',
    suspectTranscode: 'boolean|null',
    transcodeCutoffHz: 'number|null',
  }),
  FileDto: kindsOf<FileDto>()({
    provider: 'string',
    username: 'string',
    filename: 'string',
    size: 'number',
    extension: 'string',
    bitRate: 'number|null',
    sampleRate: 'number|null',
    bitDepth: 'number|null',
    lengthSeconds: 'number|null',
  }),
  RankedCandidate: kindsOf<RankedCandidate>()({
    rank: 'number',
    candidateId: 'string',
    picked: 'boolean',
    provider: 'string',
    username: 'string',
    filename: 'string',
    size: 'number',
    extension: 'string',
    bitRate: 'number|null',
    sampleRate: 'number|null',
    bitDepth: 'number|null',
    lengthSeconds: 'number|null',
    hasFreeUploadSlot: 'boolean',
    queueLength: 'number',
    uploadSpeed: 'number',
    release: 'object|null',
    score: 'number',
    notes: 'array',
    profileParts: 'array',
    transcodeCheck: 'string|null',
    suspectTranscode: 'boolean|null',
    transcodeCutoffHz: 'number|null',
  }),
  RejectedCandidate: kindsOf<RejectedCandidate>()({
    candidateId: 'string',
    picked: 'boolean',
    provider: 'string',
    username: 'string',
    filename: 'string',
    size: 'number',
    extension: 'string',
    bitRate: 'number|null',
    sampleRate: 'number|null',
    bitDepth: 'number|null',
    lengthSeconds: 'number|null',
    hasFreeUploadSlot: 'boolean',
    queueLength: 'number',
    uploadSpeed: 'number',
    release: 'object|null',
    reason: 'string',
    conditions: 'array',
  }),
  Candidates: kindsOf<Candidates>()({
    downloadId: 'string',
    query: 'string|null',
    profile: 'object|null',
    searchedAheadAt: 'string|null',
    rankedTotal: 'number',
    rejectedTotal: 'number',
    ranked: 'array',
    rejected: 'array',
    pick: 'object|null',
    provider: 'string|null',
    earlier: 'array',
  }),
  BatchResult: kindsOf<BatchResult>()({
    successCount: 'number',
    failedCount: 'number',
    errors: 'array',
  }),
  Album: kindsOf<Album>()({
    id: 'string',
    artist: 'string',
    album: 'string',
    year: 'number|null',
    qualityProfileId: 'string|null',
    preferredProvider: 'string|null',
    status: 'string',
    folderSearch: 'object',
    trackCount: 'number',
    counts: 'object',
    folder: 'object|null',
    createdAt: 'string',
    updatedAt: 'string',
    completedAt: 'string|null',
    tracks: 'array?',
  }),
  AlbumTrack: kindsOf<AlbumTrack>()({
    downloadId: 'string',
    title: 'string',
    trackNumber: 'number|null',
    discNumber: 'number|null',
    status: 'string',
    errorCode: 'string|null',
    errorMessage: 'string|null',
    source: 'object|null',
    fromFolder: 'boolean',
    libraryPath: 'string|null',
  }),
  AlbumCounts: kindsOf<AlbumCounts>()({
    waiting: 'number',
    working: 'number',
    completed: 'number',
    failed: 'number',
    cancelled: 'number',
  }),
  BlocklistEntry: kindsOf<BlocklistEntry>()({
    id: 'string',
    provider: 'string',
    username: 'string',
    filename: 'string|null',
    reason: 'string|null',
    source: 'string',
    failureCount: 'number',
    createdAt: 'string',
    expiresAt: 'string|null',
  }),
  QualityProfile: kindsOf<QualityProfile>()({
    id: 'string',
    name: 'string',
    description: 'string',
    isDefault: 'boolean',
    preferredFormats: 'array',
    minBitrate: 'number|null',
    maxBitrate: 'number|null',
    minSampleRate: 'number|null',
    maxSampleRate: 'number|null',
    minBitDepth: 'number|null',
    maxBitDepth: 'number|null',
    minFileSizeMb: 'number|null',
    maxFileSizeMb: 'number|null',
    durationToleranceSeconds: 'number',
    excludeKeywords: 'array',
    excludeUsers: 'array',
    preferLossless: 'boolean',
    allowLossy: 'boolean',
    required: 'array',
    providers: 'array',
    builtIn: 'boolean',
  }),
  NamingPreview: kindsOf<NamingPreview>()({
    path: 'string',
    segments: 'array',
    multiDisc: 'boolean',
    pattern: 'string',
    examples: 'object',
  }),
  Target: kindsOf<Target>()({
    id: 'string',
    name: 'string',
    type: 'string',
    url: 'string',
    topic: 'string|null',
    clickUrl: 'string|null',
    events: 'array',
    enabled: 'boolean',
    hasSecret: 'boolean',
    hasToken: 'boolean',
    disabledReason: 'string|null',
    retryAfterUntil: 'string|null',
    secret: 'string?',
  }),
  Delivery: kindsOf<Delivery>()({
    id: 'string',
    at: 'string',
    event: 'string',
    messageId: 'string',
    count: 'number',
    attempt: 'number',
    outcome: 'string',
    statusCode: 'number|null',
    error: 'string|null',
    durationMs: 'number',
  }),
  TestResult: kindsOf<TestResult>()({
    ok: 'boolean',
    statusCode: 'number|null',
    error: 'string|null',
    durationMs: 'number',
  }),
  Stats: kindsOf<Stats>()({
    period: 'object',
    totals: 'object',
    byStatus: 'object',
    queue: 'object',
    byFormat: 'array',
    byProvider: 'array',
    bySource: 'array',
    failureReasons: 'array',
    topArtists: 'array',
    history: 'array',
    speedHistory: 'array',
  }),
  StatsGroup: kindsOf<StatsGroup>()({
    name: 'string',
    downloads: 'number',
    completed: 'number',
    failed: 'number',
    cancelled: 'number',
    bytes: 'number',
    successRate: 'number|null',
    meanSpeed: 'number|null',
  }),
  StatsDay: kindsOf<StatsDay>()({
    date: 'string',
    downloads: 'number',
    completed: 'number',
    failed: 'number',
    cancelled: 'number',
    bytes: 'number',
  }),
  Health: kindsOf<Health>()({
    status: 'string',
    providers: 'object',
    queue: 'object',
    transcode: 'object',
    checks: 'array',
  }),
  IndexerDto: kindsOf<IndexerDto>()(SOURCE_KINDS),
  DownloadClientDto: kindsOf<DownloadClientDto>()(SOURCE_KINDS),
  SourceHealth: kindsOf<SourceHealth>()({
    state: 'string',
    circuit: 'string',
    lastError: 'string?',
    lastCheckedAt: 'string?',
  }),
  SourceTestResult: kindsOf<SourceTestResult>()({
    ok: 'boolean',
    message: 'string',
    details: 'object?',
  }),
};

export type DtoName = keyof typeof DTO_KINDS;
