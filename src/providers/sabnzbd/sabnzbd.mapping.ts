import { batchIdOf } from '../nzbget/usenet-nzb.js';
import { describeUsenetFailure, type UsenetFailure } from '../nzbget/usenet-failures.js';
import type { TransferState, TransferStatus } from '../provider.js';
import { expectedBytesOf, type SabHistorySlot, type SabQueueSlot } from './sabnzbd.api.js';

/*
 * SABnzbd's job states as SoulSpot's transfer states, as data tables (sabnzbd.mapping.test.ts
 * checks them). Pure.
 */

/** Queue slot statuses (SABnzbd 3.x/4.x). */
export const SAB_QUEUE_STATES: Readonly<Record<string, TransferState>> = {
  Queued: 'queued_locally',
  Paused: 'queued_locally',
  Propagating: 'queued_locally',
  Grabbing: 'initializing',
  Fetching: 'initializing',
  Checking: 'in_progress',
  Downloading: 'in_progress',
};

/** History slot statuses; everything but Completed and Failed is post-processing, still running. */
export const SAB_HISTORY_STATES: Readonly<Record<string, TransferState>> = {
  Completed: 'succeeded',
  Failed: 'errored',
  Deleted: 'cancelled',
  Queued: 'in_progress',
  QuickCheck: 'in_progress',
  Verifying: 'in_progress',
  Repairing: 'in_progress',
  Fetching: 'in_progress',
  Extracting: 'in_progress',
  Moving: 'in_progress',
  Running: 'in_progress',
};

/**
 * SABnzbd's failure words (fail_message, or the stage log of a job it called Completed) by kind,
 * first match wins: a password or a full disk explains an unpack failure better than "unpack".
 */
export const SAB_FAILURE_PATTERNS: ReadonlyArray<readonly [RegExp, UsenetFailure]> = [
  [/disk (is )?full|no space|not enough (free )?space|out of space|diskspace/i, 'disk_full'],
  [/password|encrypt/i, 'password'],
  [
    /not on your server|articles? (were|was) missing|missing articles|cannot be completed|aborted/i,
    'missing_articles',
  ],
  [/repair failed|par2? (check|repair) failed|verification failed|damaged/i, 'par_failed'],
  [/unpack|extract|unrar|un7zip|unzip/i, 'unpack_failed'],
  [/duplicate/i, 'dupe'],
  [/invalid nzb|empty nzb|no files|unusable|cannot (read|parse)/i, 'invalid_nzb'],
];

export function sabFailureKind(text: string): UsenetFailure {
  for (const [pattern, kind] of SAB_FAILURE_PATTERNS) if (pattern.test(text)) return kind;
  return 'unknown';
}

/**
 * SABnzbd's gotcha (real-peers.md 3d): with a few articles missing and no par2 to repair them, a
 * job still ends "Completed" with a truncated file; only the stage log says
 * `Download: "1 articles were missing"`. Such a job failed, unless a repair stage put it right.
 */
export function missingArticlesNote(
  slot: Pick<SabHistorySlot, 'stage_log' | 'bytes' | 'nzb_name'>,
): string | null {
  const stages = slot.stage_log ?? [];
  const missing =
    stages
      .filter((s) => s.name === 'Download')
      .flatMap((s) => s.actions)
      .find((a) => /(\d+) articles? (were|was) missing/i.test(a) && !/^0 /.test(a.trim())) ??
    shortfallNote(slot);
  if (missing === undefined) return null;
  const repaired = stages
    .filter((s) => s.name === 'Repair')
    .flatMap((s) => s.actions)
    .some((a) => /repaired in|verified in|quick check ok|all files correct/i.test(a));
  return repaired ? null : missing;
}

/**
 * SABnzbd 3.7 writes the download report before it counts a missing article that was the last one
 * it tried (nzbqueue.register_article, then downloader.decode increments), so the stage log can
 * say nothing of it. The bytes it downloaded against the posted bytes SoulSpot recorded at upload
 * (nzbUploadName) tell it anyway.
 */
export function shortfallNote(
  slot: Pick<SabHistorySlot, 'bytes' | 'nzb_name'>,
): string | undefined {
  const expected = expectedBytesOf(slot.nzb_name);
  if (expected === null || slot.bytes === undefined || slot.bytes >= expected) return undefined;
  return `${expected - slot.bytes} of ${expected} posted bytes never arrived (articles were missing)`;
}

const MB = 1024 * 1024;
const num = (value: string | undefined): number => {
  const n = Number(value ?? '0');
  return Number.isFinite(n) ? n : 0;
};

export function isOurs(name: string, category: string | null | undefined, wanted: string): boolean {
  return category === wanted && batchIdOf(name) !== null;
}

function withBatch(status: TransferStatus, name: string): TransferStatus {
  const batchId = batchIdOf(name);
  if (batchId !== null) status.batchId = batchId;
  return status;
}

export function mapQueueSlot(
  slot: SabQueueSlot,
  source: string,
  bytesPerSecond: number,
): TransferStatus {
  const size = Math.round(num(slot.mb) * MB);
  const left = Math.round(num(slot.mbleft) * MB);
  const state = SAB_QUEUE_STATES[slot.status] ?? 'in_progress';
  return withBatch(
    {
      id: slot.nzo_id,
      username: source,
      filename: slot.filename,
      size,
      state,
      raw: slot.status,
      bytesTransferred: Math.max(0, size - left),
      averageSpeed: state === 'in_progress' ? bytesPerSecond : 0,
      percentComplete: Math.min(100, num(slot.percentage)),
    },
    slot.filename,
  );
}

export function mapHistorySlot(slot: SabHistorySlot, source: string): TransferStatus {
  let state = SAB_HISTORY_STATES[slot.status] ?? 'in_progress';
  let exception: string | undefined;
  if (state === 'errored') exception = slot.fail_message ?? '';
  if (state === 'succeeded') {
    const missing = missingArticlesNote(slot);
    if (missing !== null) {
      state = 'errored';
      exception = `completed with a truncated file: ${missing}`;
    }
  }
  const size = slot.bytes ?? 0;
  const status: TransferStatus = {
    id: slot.nzo_id,
    username: source,
    filename: slot.name,
    size,
    state,
    raw: slot.status,
    bytesTransferred: Math.min(size, slot.downloaded ?? size),
    averageSpeed: 0,
    percentComplete:
      state === 'succeeded'
        ? 100
        : size > 0
          ? Math.min(100, ((slot.downloaded ?? 0) / size) * 100)
          : 0,
  };
  if (exception !== undefined) status.exception = exception;
  if (slot.completed !== undefined) status.requestedAt = slot.completed * 1000;
  return withBatch(status, slot.name);
}

export function classifySabnzbd(transfer: Pick<TransferStatus, 'raw' | 'exception' | 'state'>) {
  if (transfer.state === 'cancelled')
    return describeUsenetFailure('SABnzbd', 'cancelled', transfer.raw);
  const text = transfer.exception ?? transfer.raw;
  return describeUsenetFailure('SABnzbd', sabFailureKind(text), text);
}
