import type { ErrorCode } from '../../downloads/error-codes.js';
import type { Candidate, SearchState, TransferState, TransferStatus } from '../provider.js';
import type {
  SlskdBrowseDirectory,
  SlskdResponse,
  SlskdSearch,
  SlskdTransfer,
} from './slskd.api.js';

/*
 * Pure translation from slskd's dialect to the provider contract (no I/O). Facts come from the
 * reference (/work/shared/slskd-api.md §4, §5.3, §5.4, §9).
 */

export const PROVIDER_NAME = 'slskd';

// ---------------------------------------------------------------------------------------------
// Flags
// ---------------------------------------------------------------------------------------------

/** Soulseek.NET `TransferStates` bit values, for servers that send the number instead of the names. */
const TRANSFER_FLAG_BITS: ReadonlyArray<readonly [number, string]> = [
  [1, 'requested'],
  [2, 'queued'],
  [4, 'initializing'],
  [8, 'inprogress'],
  [16, 'completed'],
  [32, 'succeeded'],
  [64, 'cancelled'],
  [128, 'timedout'],
  [256, 'errored'],
  [512, 'rejected'],
  [1024, 'aborted'],
  [2048, 'locally'],
  [4096, 'remotely'],
];

/**
 * Splits a flags string (`"Completed, Succeeded"`) into lower-case flag names. Robust to order,
 * spacing, case, `|` separators and a numeric value.
 */
export function parseFlags(raw: string): Set<string> {
  const trimmed = raw.trim();
  if (/^\d+$/.test(trimmed)) {
    const value = Number(trimmed);
    return new Set(TRANSFER_FLAG_BITS.filter(([bit]) => (value & bit) !== 0).map(([, n]) => n));
  }
  return new Set(
    trimmed
      .split(/[,|]/)
      .map((part) => part.replace(/\s+/g, '').toLowerCase())
      .filter((part) => part !== ''),
  );
}

/** Outcome flags, most specific first: a failure flag wins over `Succeeded` if both ever appear. */
const OUTCOMES: ReadonlyArray<readonly [string, TransferState]> = [
  ['cancelled', 'cancelled'],
  ['rejected', 'rejected'],
  ['aborted', 'aborted'],
  ['timedout', 'timed_out'],
  ['errored', 'errored'],
  ['succeeded', 'succeeded'],
];

/**
 * slskd TransferStates string → contract state.
 *
 * Unknown strings: when the `Completed` flag is present without a known outcome the transfer is over
 * and did not demonstrably succeed, so it maps to `errored` (never to `succeeded`: importing a file
 * that may be partial is worse than retrying). Anything else unknown (`"None"`, `""`, a future flag)
 * maps to `queued_locally`: non-terminal, so the pipeline keeps watching it and its own stall deadline
 * decides, instead of failing a transfer that may be fine.
 */
export function parseTransferState(raw: string): TransferState {
  const flags = parseFlags(raw);
  for (const [flag, state] of OUTCOMES) if (flags.has(flag)) return state;
  if (flags.has('completed')) return 'errored';
  if (flags.has('inprogress')) return 'in_progress';
  if (flags.has('initializing')) return 'initializing';
  if (flags.has('queued') && flags.has('remotely')) return 'queued_remotely';
  if (flags.has('requested')) return 'requested';
  return 'queued_locally';
}

/** Whether the raw state carries the `Completed` flag (the server's own "completed" category). */
export function isCompletedState(raw: string): boolean {
  const flags = parseFlags(raw);
  return flags.has('completed') || OUTCOMES.some(([flag]) => flags.has(flag));
}

const TERMINAL: ReadonlySet<TransferState> = new Set([
  'succeeded',
  'cancelled',
  'timed_out',
  'errored',
  'rejected',
  'aborted',
]);

export function isTerminalState(state: TransferState): boolean {
  return TERMINAL.has(state);
}

/** slskd 0.26's default `transfers.download.retry.attempts`. */
export const SLSKD_DEFAULT_ATTEMPTS = 3;

/**
 * Whether a terminal state is final. slskd ≥0.26 retries errors and timeouts by itself and, because
 * of a bug, first saves them as `Completed, Errored`/`TimedOut` and then flips them back to
 * `Queued, Locally` (§5.4). While `attempts` is below the limit such a state may still change.
 * Older servers report `attempts` as 0 or not at all: their failures are final.
 */
export function isFinalTransfer(
  transfer: Pick<TransferStatus, 'state' | 'attempts' | 'exception'>,
  maxAttempts: number = SLSKD_DEFAULT_ATTEMPTS,
): boolean {
  if (!isTerminalState(transfer.state)) return false;
  if (transfer.state !== 'errored' && transfer.state !== 'timed_out') return true;
  if (transfer.exception !== undefined && RESTART.test(transfer.exception)) return true;
  // The enqueue's hard limit fails the record from outside the download's retry loop: slskd never
  // retries it, so waiting for a flip back to "Queued, Locally" would wait for nothing.
  if (transfer.exception !== undefined && ENQUEUE_HARD_LIMIT.test(transfer.exception)) return true;
  const attempts = transfer.attempts ?? 0;
  return attempts < 1 || attempts >= maxAttempts;
}

// ---------------------------------------------------------------------------------------------
// Times
// ---------------------------------------------------------------------------------------------

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses slskd's ISO-8601 times to epoch ms. slskd's times are always UTC, but values read back through
 * EF (transfer `requestedAt`/`enqueuedAt`) carry no `Z`: a time without a zone is read as UTC, never as
 * local time. Up to 7 fraction digits (.NET ticks) are accepted. Returns null when unparseable.
 */
export function parseSlskdTime(value: string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const match = ISO.exec(value.trim());
  if (match === null) return null;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  let time = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s ?? 0),
    ms,
  );
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offset = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    time -= sign * offset * 60_000;
  }
  return Number.isFinite(time) ? time : null;
}

const TIMESPAN = /^(-)?(?:(\d+)\.)?(\d+):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/;

/** Parses a .NET TimeSpan in "c" format (`"00:01:02.5000000"`, `"1.02:03:04"`) to ms; null if invalid. */
export function parseTimeSpan(value: string | undefined | null): number | null {
  if (value === undefined || value === null) return null;
  const match = TIMESPAN.exec(value.trim());
  if (match === null) return null;
  const [, negative, days, hours, minutes, seconds, frac] = match;
  const ms =
    ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 +
    Number(seconds) * 1000 +
    (frac === undefined ? 0 : Math.round(Number(`0.${frac}`) * 1000));
  return negative === undefined ? ms : -ms;
}

// ---------------------------------------------------------------------------------------------
// Remote paths
// ---------------------------------------------------------------------------------------------

function remoteSegments(filename: string): string[] {
  return filename.split(/[\\/]/).filter((segment) => segment !== '');
}

/** `@@x\Music\A\Album (2001)\01.flac` → `01.flac`. */
export function remoteBasename(filename: string): string {
  return remoteSegments(filename).at(-1) ?? filename;
}

/** `@@x\Music\A\Album (2001)\01.flac` → `Album (2001)`; null when the file has no parent folder. */
export function remoteParentFolder(filename: string): string | null {
  const segments = remoteSegments(filename);
  return segments.length >= 2 ? (segments[segments.length - 2] ?? null) : null;
}

/** Lower-case extension without the dot, from the file name (slskd's own field is unreliable). */
export function extensionOf(filename: string): string {
  const base = remoteBasename(filename);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || dot === base.length - 1) return '';
  return base.slice(dot + 1).toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Searches
// ---------------------------------------------------------------------------------------------

/**
 * `complete` only when the Completed flag is set **and** `endedAt` is there: slskd saves the
 * Completed state just before `endedAt` and the responses (§4 quirk 2), and `"Queued"` is not done.
 */
export function mapSearchState(search: Pick<SlskdSearch, 'state' | 'endedAt' | 'isComplete'>) {
  const flags = parseFlags(search.state);
  const completed = flags.has('completed') || search.isComplete === true;
  const state: Exclude<SearchState, 'missing'> =
    completed && search.endedAt !== undefined ? 'complete' : 'running';
  return state;
}

/**
 * One Candidate per downloadable file. `lockedFiles` are left out: the peer will not serve them to us.
 * Zero-byte files are skipped (nothing to download, and slskd's size check would abort them anyway).
 */
export function mapResponses(responses: readonly SlskdResponse[]): Candidate[] {
  const candidates: Candidate[] = [];
  for (const response of responses) {
    for (const file of response.files) {
      if (!(file.size > 0)) continue;
      const candidate: Candidate = {
        provider: PROVIDER_NAME,
        username: response.username,
        filename: file.filename,
        size: file.size,
        extension: extensionOf(file.filename),
        hasFreeUploadSlot: response.hasFreeUploadSlot ?? false,
        queueLength: response.queueLength ?? 0,
        uploadSpeed: response.uploadSpeed ?? 0,
      };
      if (file.bitRate !== undefined) candidate.bitRate = file.bitRate;
      if (file.sampleRate !== undefined) candidate.sampleRate = file.sampleRate;
      if (file.bitDepth !== undefined) candidate.bitDepth = file.bitDepth;
      if (file.length !== undefined) candidate.lengthSeconds = file.length;
      if (file.isVariableBitRate !== undefined)
        candidate.isVariableBitRate = file.isVariableBitRate;
      candidates.push(candidate);
    }
  }
  return candidates;
}

/**
 * The files of browsed folders as candidates: the folder name and the base name joined with `\`
 * (the path to enqueue), the audio facts from the fields or else the attribute list. A browse says
 * nothing of the peer's slots, queue or speed: those are left at "unknown" (no free slot, queue 0,
 * speed 0) for the caller to fill from the same peer's search answer.
 */
export function mapDirectoryFiles(
  username: string,
  directories: readonly SlskdBrowseDirectory[],
): Candidate[] {
  const candidates: Candidate[] = [];
  for (const dir of directories) {
    for (const file of dir.files) {
      if (!(file.size > 0)) continue;
      const attribute = (type: string): number | undefined =>
        file.attributes?.find((a) => a.type === type)?.value;
      const filename = `${dir.name.replace(/\\+$/, '')}\\${file.filename}`;
      const candidate: Candidate = {
        provider: PROVIDER_NAME,
        username,
        filename,
        size: file.size,
        extension: extensionOf(filename),
        hasFreeUploadSlot: false,
        queueLength: 0,
        uploadSpeed: 0,
      };
      const bitRate = file.bitRate ?? attribute('BitRate');
      const sampleRate = file.sampleRate ?? attribute('SampleRate');
      const bitDepth = file.bitDepth ?? attribute('BitDepth');
      const length = file.length ?? attribute('Length');
      const vbr = file.isVariableBitRate ?? attribute('VariableBitRate');
      if (bitRate !== undefined) candidate.bitRate = bitRate;
      if (sampleRate !== undefined) candidate.sampleRate = sampleRate;
      if (bitDepth !== undefined) candidate.bitDepth = bitDepth;
      if (length !== undefined) candidate.lengthSeconds = length;
      if (vbr !== undefined) candidate.isVariableBitRate = Boolean(vbr);
      candidates.push(candidate);
    }
  }
  return candidates;
}

// ---------------------------------------------------------------------------------------------
// Transfers
// ---------------------------------------------------------------------------------------------

export function mapTransfer(transfer: SlskdTransfer): TransferStatus {
  const bytesTransferred = transfer.bytesTransferred ?? 0;
  const percent =
    transfer.percentComplete ??
    (transfer.size > 0 ? Math.min(100, (bytesTransferred / transfer.size) * 100) : 0);
  const status: TransferStatus = {
    id: transfer.id,
    username: transfer.username,
    filename: transfer.filename,
    size: transfer.size,
    state: parseTransferState(transfer.state),
    raw: transfer.state,
    bytesTransferred,
    averageSpeed: transfer.averageSpeed ?? 0,
    percentComplete: percent,
  };
  if (transfer.placeInQueue !== undefined) status.placeInQueue = transfer.placeInQueue;
  if (transfer.exception !== undefined) status.exception = transfer.exception;
  if (transfer.attempts !== undefined) status.attempts = transfer.attempts;
  if (transfer.batchId !== undefined) status.batchId = transfer.batchId;
  if (transfer.removed !== undefined) status.removed = transfer.removed;
  const requestedAt = parseSlskdTime(transfer.requestedAt);
  if (requestedAt !== null) status.requestedAt = requestedAt;
  const startedAt = parseSlskdTime(transfer.startedAt);
  if (startedAt !== null) status.startedAt = startedAt;
  return status;
}

// ---------------------------------------------------------------------------------------------
// Failures
// ---------------------------------------------------------------------------------------------

export interface FailureClassification {
  code: ErrorCode;
  message: string;
  /** Set when slskd itself restarted ("Application shut down"): re-enqueue, don't blame the peer. */
  isSlskdRestart?: boolean;
}

const RESTART = /application shut ?down/i;
const ENQUEUE_HARD_LIMIT = /failed to enqueue remotely|hard time limit/i;

/** Texts in the order they are tried; the first match wins. */
const TEXT_RULES: ReadonlyArray<readonly [RegExp, ErrorCode, string]> = [
  [/file not shared/i, 'file_not_found', 'The peer no longer shares this file'],
  [/\bbanned\b/i, 'user_blocked', 'The peer has banned us'],
  [/too many files this week/i, 'transfer_rejected', 'The peer refused: weekly file limit reached'],
  [/too many files/i, 'transfer_rejected', 'The peer refused: too many files queued'],
  [/too many megabytes/i, 'transfer_rejected', 'The peer refused: too many megabytes queued'],
  [/overwhelmed/i, 'transfer_rejected', 'The peer refused: overwhelmed with requests'],
  [/pending shutdown/i, 'transfer_rejected', 'The peer refused: it is shutting down'],
  [
    /remote size of .* does not match|does not match expected size/i,
    'invalid_file',
    "The peer's file size does not match the size it advertised",
  ],
  [
    /reported as failed by remote client/i,
    'transfer_failed',
    'The peer reported the upload failed',
  ],
  [
    /failed to enqueue remotely|hard time limit/i,
    'queue_timeout',
    "The peer never queued the file within slskd's time limit",
  ],
  [/inactivity timeout/i, 'timeout', 'The transfer stalled (inactivity timeout)'],
  [/wait timed out|timed out/i, 'timeout', 'The transfer timed out'],
  [/appears to be offline/i, 'source_offline', 'The peer is offline'],
  [
    /failed to establish|unable to connect|could not connect|failed to connect|unreachable|no route to host/i,
    'source_offline',
    'The peer could not be reached',
  ],
  [/operation (?:was )?cancel+ed/i, 'cancelled', 'The transfer was cancelled'],
  // Texts about the connection to the PEER (slskd itself answered): a source problem, not
  // "slskd is down", which would make the download wait on this source and count towards the
  // circuit breaker.
  [
    /connection|socket|reset by peer|broken pipe|remote closed|econn/i,
    'transfer_failed',
    'The connection to the peer failed',
  ],
];

/**
 * Classifies a slskd/Soulseek.NET failure text (a transfer's `exception`, a batch `"Error: …"`
 * failure, or a legacy enqueue `500` body). null when the text says nothing recognisable.
 */
export function classifyExceptionText(text: string): FailureClassification | null {
  const cleaned = text.replace(/^\s*error:\s*/i, '').trim();
  if (cleaned === '') return null;
  if (RESTART.test(cleaned)) {
    return {
      code: 'slskd_unavailable',
      message: `slskd restarted during the transfer (${cleaned})`,
      isSlskdRestart: true,
    };
  }
  for (const [pattern, code, label] of TEXT_RULES) {
    if (pattern.test(cleaned)) return { code, message: `${label} (${cleaned})` };
  }
  return null;
}

/** Generic fallbacks per failed state, used when the exception text is absent or unrecognised. */
const STATE_FALLBACK: Partial<Record<TransferState, readonly [ErrorCode, string]>> = {
  cancelled: ['cancelled', 'The transfer was cancelled'],
  rejected: ['transfer_rejected', 'The peer rejected the transfer'],
  // Soulseek.NET aborts a transfer when the remote size doesn't match the size sent.
  aborted: ['invalid_file', 'The transfer was aborted'],
  timed_out: ['timeout', 'The transfer timed out'],
  errored: ['transfer_failed', 'The transfer failed'],
};

/**
 * Why a transfer failed, as one of the fixed error codes. The exception text decides when it is
 * specific (so a `Completed, Cancelled` caused by slskd's enqueue hard limit is still a
 * `queue_timeout`); otherwise the state does. A rejection's text is kept even when unrecognised.
 */
export function classifyTransferFailure(transfer: TransferStatus): FailureClassification {
  const exception = transfer.exception?.trim() ?? '';
  const byText = classifyExceptionText(exception);
  // A generic "cancelled" text must not hide a more specific state such as TimedOut.
  if (byText !== null && !(byText.code === 'cancelled' && transfer.state !== 'cancelled')) {
    return byText;
  }
  const fallback = STATE_FALLBACK[transfer.state];
  if (fallback !== undefined) {
    const [code, label] = fallback;
    const reason = exception.replace(/^transfer rejected:\s*/i, '');
    return { code, message: reason === '' ? label : `${label} (${reason})` };
  }
  if (transfer.state === 'succeeded') {
    return { code: 'unknown', message: 'The transfer succeeded; there is no failure to classify' };
  }
  return {
    code: 'unknown',
    message: `The transfer has not failed (state "${transfer.raw}")`,
  };
}
