import { Type, type Static, type TSchema } from 'typebox';

/*
 * TypeBox schemas of the slskd JSON SoulSpot reads (reference: /work/shared/slskd-api.md). They allow
 * extra fields (slskd adds some in every release) and mark as optional whatever slskd omits when null.
 */

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const Int = Type.Number();
const Str = Type.String();
const Bool = Type.Boolean();
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

export const StateSchema = Type.Object({
  version: Opt(Type.Object({ current: Opt(Str), full: Opt(Str) })),
  server: Type.Object({
    state: Opt(Str),
    address: Opt(Str),
    isConnected: Bool,
    isLoggedIn: Bool,
    isConnecting: Opt(Bool),
    isLoggingIn: Opt(Bool),
  }),
});
export type SlskdState = Static<typeof StateSchema>;

export const OptionsSchema = Type.Object({
  directories: Opt(Type.Object({ downloads: Opt(Str), incomplete: Opt(Str) })),
  // slskd ≥ 0.26 retries failed downloads itself; how often decides when a failure is final.
  transfers: Opt(
    Type.Object({
      download: Opt(Type.Object({ retry: Opt(Type.Object({ attempts: Opt(Type.Number()) })) })),
    }),
  ),
});
export type SlskdOptions = Static<typeof OptionsSchema>;

export const FileSchema = Type.Object({
  filename: Str,
  size: Int,
  extension: Opt(Str),
  bitRate: Opt(Int),
  bitDepth: Opt(Int),
  sampleRate: Opt(Int),
  length: Opt(Int),
  isVariableBitRate: Opt(Bool),
  isLocked: Opt(Bool),
  code: Opt(Int),
});
export type SlskdFile = Static<typeof FileSchema>;

export const ResponseSchema = Type.Object({
  username: Str,
  files: Type.Array(FileSchema),
  fileCount: Opt(Int),
  lockedFiles: Opt(Type.Array(FileSchema)),
  lockedFileCount: Opt(Int),
  hasFreeUploadSlot: Opt(Bool),
  queueLength: Opt(Int),
  uploadSpeed: Opt(Int),
  token: Opt(Int),
});
export type SlskdResponse = Static<typeof ResponseSchema>;

/**
 * A file of a browsed folder (`POST /users/{u}/directory`): the search File's fields without
 * `isLocked`, its `filename` only the base name, plus the attribute list slskd sends alongside.
 */
export const BrowseFileSchema = Type.Object({
  filename: Str,
  size: Int,
  extension: Opt(Str),
  bitRate: Opt(Int),
  bitDepth: Opt(Int),
  sampleRate: Opt(Int),
  length: Opt(Int),
  isVariableBitRate: Opt(Bool),
  attributeCount: Opt(Int),
  attributes: Opt(Type.Array(Type.Object({ type: Str, value: Int }))),
});

/** One folder of a browse: `name` is the full remote directory path. */
export const BrowseDirectorySchema = Type.Object({
  name: Str,
  fileCount: Opt(Int),
  files: Type.Array(BrowseFileSchema),
});
export type SlskdBrowseDirectory = Static<typeof BrowseDirectorySchema>;

export const SearchSchema = Type.Object({
  id: Str,
  searchText: Opt(Str),
  state: Str,
  isComplete: Opt(Bool),
  startedAt: Opt(Str),
  endedAt: Opt(Str),
  responseCount: Opt(Int),
  fileCount: Opt(Int),
  lockedFileCount: Opt(Int),
  token: Opt(Int),
  responses: Opt(Type.Array(ResponseSchema)),
});
export type SlskdSearch = Static<typeof SearchSchema>;

export const TransferSchema = Type.Object({
  id: Str,
  username: Str,
  filename: Str,
  size: Int,
  state: Str,
  direction: Opt(Str),
  batchId: Opt(Str),
  requestedAt: Opt(Str),
  enqueuedAt: Opt(Str),
  startedAt: Opt(Str),
  endedAt: Opt(Str),
  bytesTransferred: Opt(Int),
  bytesRemaining: Opt(Int),
  averageSpeed: Opt(Int),
  percentComplete: Opt(Int),
  placeInQueue: Opt(Int),
  exception: Opt(Str),
  attempts: Opt(Int),
  nextAttemptAt: Opt(Str),
  removed: Opt(Bool),
  elapsedTime: Opt(Str),
  remainingTime: Opt(Str),
});
export type SlskdTransfer = Static<typeof TransferSchema>;

export const UserGroupSchema = Type.Object({
  username: Str,
  directories: Type.Array(
    Type.Object({ directory: Opt(Str), fileCount: Opt(Int), files: Type.Array(TransferSchema) }),
  ),
});
export type SlskdUserGroup = Static<typeof UserGroupSchema>;

export const BatchSchema = Type.Object({
  id: Str,
  username: Opt(Str),
  searchId: Opt(Str),
  direction: Opt(Str),
  createdAt: Opt(Str),
  transfers: Opt(Type.Array(TransferSchema)),
});
export type SlskdBatch = Static<typeof BatchSchema>;

export const BatchEnqueueResultSchema = Type.Object({
  batch: Opt(BatchSchema),
  failures: Opt(Type.Array(Type.Object({ filename: Opt(Str), message: Opt(Str) }))),
});
export type SlskdBatchEnqueueResult = Static<typeof BatchEnqueueResultSchema>;

/** ≥0.24 legacy enqueue reply. `failed` items serialize as `{}` (C# value tuples): only the count matters. */
export const LegacyEnqueueResultSchema = Type.Object({
  enqueued: Opt(Type.Array(TransferSchema)),
  failed: Opt(Type.Array(Type.Unknown())),
});
export type SlskdLegacyEnqueueResult = Static<typeof LegacyEnqueueResultSchema>;

export const EventEntrySchema = Type.Object({
  id: Opt(Str),
  timestamp: Opt(Str),
  type: Str,
  /** A JSON string (camelCase, nulls kept). */
  data: Opt(Str),
});
export type SlskdEventEntry = Static<typeof EventEntrySchema>;

/** The parsed `data` of a `DownloadFileComplete` event (lenient: only what SoulSpot reads). */
export const DownloadFileCompleteSchema = Type.Object({
  localFilename: Str,
  remoteFilename: Opt(Str),
  transfer: Opt(
    Type.Object({ id: Opt(Str), username: Opt(Str), filename: Opt(Str), state: Opt(Str) }),
  ),
});
export type SlskdDownloadFileComplete = Static<typeof DownloadFileCompleteSchema>;

export const PositionSchema = Type.Number();

export interface SearchRequest {
  id: string;
  searchText: string;
  /** Milliseconds, despite slskd's doc comment saying seconds. Inactivity timeout. */
  searchTimeout: number;
  responseLimit?: number;
  fileLimit?: number;
}

export interface EnqueueFile {
  filename: string;
  size: number;
}

export interface BatchEnqueueRequest {
  id: string;
  username: string;
  files: EnqueueFile[];
  searchId?: string;
}

/** A reply whose status decides the outcome; the body is set only for 2xx. */
export type BatchEnqueueReply =
  { status: 200 | 201 | 207; body: SlskdBatchEnqueueResult } | { status: 409; message: string };

export interface EventsPage {
  entries: SlskdEventEntry[];
  /** From `X-Total-Count`, when sent. */
  total?: number;
}
