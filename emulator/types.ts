// The emulator's public types. They live apart from emulator.ts so the internal modules can import them
// without a cycle; emulator.ts re-exports them and is the only entry point other code should use.

/** One shared file of a simulated peer: a remote path that maps to a real audio file on disk. */
export interface SimFile {
  /** Remote path with backslashes, e.g. `@@abc12\Music\Artist\Album (2001)\01 - Song.flac`. */
  remotePath: string;
  /** Real file served when the file is downloaded. */
  localPath: string;
  /** kbps; read from the file when absent. */
  bitRate?: number;
  /** Hz; read from the file when absent. */
  sampleRate?: number;
  /** Bits per sample; read from lossless files when absent. */
  bitDepth?: number;
  /** Seconds; read from the file when absent. */
  lengthSeconds?: number;
  isVariableBitRate?: boolean;
  /** Size the peer advertises and sends; default: the real size of localPath. */
  size?: number;
  /**
   * What the `DownloadFileComplete` event reports as `localFilename` for this file instead of where
   * it really landed: a hostile or confused slskd (e.g. `/etc/passwd`, `../outside.flac`).
   */
  localFilename?: string;
  /**
   * Left out of this peer's search answers, while browse (`GET /users/{u}/browse`, `POST
   * /users/{u}/directory`) still lists it: a real peer answers a search with only some of a folder's
   * files (its own matching, result limits), and only browsing shows the whole folder.
   */
  hiddenFromSearch?: boolean;
  /** Like PeerBehaviour.failAfterBytes, for this file only (the file's value wins). */
  failAfterBytes?: number;
}

/** How a simulated peer behaves. Changes through setBehaviour() apply to running transfers at once. */
export interface PeerBehaviour {
  /** Enqueue → 404 "User X appears to be offline" (batch) / 500 (legacy); no search responses; presence "Offline". */
  offline?: boolean;
  /** Delay before this peer's search response arrives (default 50 ms). */
  latencyMs?: number;
  /** Bytes/s used for streaming and advertised in search responses (default 5_000_000). */
  uploadSpeed?: number;
  /** Advertised in search responses (default true). */
  hasFreeUploadSlot?: boolean;
  /** Advertised queue length (default 0). */
  queueLength?: number;
  /** Time spent in "Queued, Remotely" before the upload starts (default 0). */
  remoteQueueMs?: number;
  /** Stays "Queued, Remotely" forever (until changed). */
  stuckInQueue?: boolean;
  /** Rejection reason, e.g. "File not shared." → "Completed, Rejected". */
  reject?: string;
  /** The peer reports failure after sending this many bytes in one attempt → "Completed, Errored". */
  failAfterBytes?: number;
  /**
   * Progress stops after this many bytes: the state stays "InProgress" until Soulseek.NET's
   * inactivity timeout (EmulatorOptions.inactivityTimeoutMs) fails the attempt.
   */
  stallAfterBytes?: number;
  /** Like SimFile.localFilename, for every file of this peer (the file's own value wins). */
  localFilename?: string;
  /**
   * How long slskd takes to connect to this peer before an enqueue records any transfer: the POST
   * is held open that long (0.26: the batch record exists meanwhile, without transfers). Default 0.
   */
  enqueueDelayMs?: number;
  /**
   * Online, but no connection to it can be made: after enqueueDelayMs the enqueue answers 500
   * "Failed to establish a direct or indirect message connection to …" (batch and legacy); a batch
   * record stays behind, empty, as in slskd.
   */
  unreachable?: boolean;
  /**
   * Every file of an enqueue fails with "Error: <text>" in the answer (batch 200/207; legacy 201 with
   * a `{}` failure) and no transfer is recorded.
   */
  enqueueError?: string;
  /**
   * The peer never answers the queue request: the transfer stays "Requested" until slskd's hard
   * limit (EmulatorOptions.enqueueHardLimitMs), then "Completed, TimedOut", not retried.
   */
  ignoreQueueRequest?: boolean;
}

/**
 * How a finished file lands in the downloads folder. slskd marks a transfer `Completed, Succeeded`,
 * then moves the file from the incomplete folder, then raises `DownloadFileComplete`.
 */
export interface FileLanding {
  /** Time between `Completed, Succeeded` and the move (default 0). */
  moveDelayMs?: number;
  /**
   * The move crosses devices, so .NET's File.Move copies: the destination file is created and grows
   * at this speed before the event fires (default: an instant rename).
   */
  crossDeviceMove?: { bytesPerSecond: number };
  /**
   * Noise in the events log, as a long-running slskd has: an `UploadFileComplete` after each
   * download, and, when a transfer is enqueued, an older `DownloadFileComplete` for the same remote
   * file (an earlier transfer) naming another `localFilename`. Default false.
   */
  extraEvents?: boolean;
}

export interface SimUser {
  username: string;
  files: SimFile[];
  behaviour?: PeerBehaviour;
}

export interface EmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = a random free port (kept across stop/start/restart). */
  port?: number;
  /** When set, X-API-Key (or a JWT from POST /session) is required; 401 with an empty body otherwise. */
  apiKey?: string;
  /** Default '0.26.0'. Below 0.26 the emulator runs in legacy mode (no batches, no `removed`, no retries). */
  version?: string;
  downloadsDir: string;
  incompleteDir: string;
  users: SimUser[];
  /** Progress update period (default 250 ms, like slskd's transfer progress saves). */
  tickMs?: number;
  /** Optional cap on the search inactivity timeout so tests are fast. */
  searchTimeoutCapMs?: number;
  /** How long a POST /searches is in flight (its 429 gate is shut meanwhile); default 5 ms. */
  searchPostMs?: number;
  /** Default true; false → server state "Disconnected", POST /searches 409. */
  loggedIn?: boolean;
  /** Searches running at once before new ones wait as "Queued" (Soulseek.NET under slskd: 2). */
  maxConcurrentSearches?: number;
  /**
   * Download retries of slskd 0.26 (`transfers.download.retry`). Default slskd's own:
   * `{ attempts: 3, delayMs: 5000, maxDelayMs: 60000 }`; `{ attempts: 1 }` makes failures final at once.
   */
  retry?: { attempts: number; delayMs?: number; maxDelayMs?: number };
  /** How finished files land (move delay, cross-device copy, noise in the events log). */
  landing?: FileLanding;
  /**
   * slskd's hard limit for a new transfer to reach "Queued, Remotely" (180 s, not configurable in
   * slskd); shorten it so tests are fast.
   */
  enqueueHardLimitMs?: number;
  /**
   * Soulseek.NET's inactivity timeout of a transfer connection (15 s): an "InProgress" transfer whose
   * bytes stop moving this long fails "Completed, TimedOut" (and 0.26 retries it).
   */
  inactivityTimeoutMs?: number;
  /** Credentials for POST /session (default slskd/slskd). */
  username?: string;
  password?: string;
}

export interface EnqueueRecord {
  username: string;
  filename: string;
  batchId?: string;
  transferId: string;
  /** Date.now() when the transfer record was created. */
  at: number;
}

/** A search slskd accepted (POST /searches that created a record). */
export interface SearchLogRecord {
  id: string;
  searchText: string;
  /** Date.now() when the search was accepted. */
  at: number;
  /** Date.now() when its state became Completed (benchmarks time what follows from here). */
  completedAt?: number;
}

/** A DELETE that stopped a transfer: an active one, or a failed one waiting for slskd's retry. */
export interface CancelRecord {
  transferId: string;
  username: string;
  filename: string;
  /** The `remove` flag of the request. */
  remove: boolean;
  /** Date.now() of the request. */
  at: number;
}

/**
 * The most transfers there were at once since the emulator started (exact: recounted at every
 * transfer that became unfinished or started moving), to check a client's concurrency limits.
 */
export interface TransferPeaks {
  /** Transfers moving bytes ("Initializing" or "InProgress"), all peers together. */
  moving: number;
  /** Per peer: its transfers moving bytes at once. */
  movingByUser: Record<string, number>;
  /** Per peer: its unfinished transfers at once (any state before "Completed, …"). */
  activeByUser: Record<string, number>;
}

export interface Emulator {
  /** e.g. http://127.0.0.1:40123 (no trailing slash, no /api/v0). */
  readonly url: string;
  /** Every enqueue that created a transfer record (to detect duplicate enqueues). */
  readonly enqueues: EnqueueRecord[];
  /** Every cancel of a transfer that was still running (a DELETE of a finished one is not listed). */
  readonly cancels: CancelRecord[];
  /** Every search accepted, in order (the records themselves may be deleted since). */
  readonly searchLog: SearchLogRecord[];
  /**
   * Searches still running or queued (a DELETE removes only the record: the search runs on, as in
   * slskd; a PUT stops it).
   */
  readonly unfinishedSearches: number;
  /** Route pattern ("GET /transfers/downloads/{username}") → number of requests. */
  readonly requestCounts: Record<string, number>;
  /** The most transfers at once, overall and per peer (also in GET /emulator/state). */
  readonly peaks: TransferPeaks;
  setBehaviour(username: string, patch: Partial<PeerBehaviour>): void;
  /** Adds a user, or replaces the user of the same name. */
  addUser(user: SimUser): void;
  setLoggedIn(value: boolean): void;
  /** Changes how finished files land, from the next file on (`null` fields go back to the default). */
  setLanding(patch: { [K in keyof FileLanding]?: FileLanding[K] | null }): void;
  /** slskd restart: unfinished transfers → "Completed, Errored" "Application shut down"; same port. */
  restart(): Promise<void>;
  /** The API stops listening (connection refused); state and running transfers are kept. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  /** Stop for good. */
  close(): Promise<void>;
}
