import type { TransferState, TransferStatus } from '../provider.js';
import type { NzbgetGroup, NzbgetHistoryItem } from './nzbget.api.js';
import { batchIdOf } from './usenet-nzb.js';
import { describeUsenetFailure, type UsenetFailure } from './usenet-failures.js';

/*
 * NZBGet's job states as SoulSpot's transfer states, as data tables (nzbget.mapping.test.ts checks
 * them). Pure.
 */

/** Queue (listgroups) statuses. Post-processing steps count as in progress: the files are not final. */
export const NZBGET_QUEUE_STATES: Readonly<Record<string, TransferState>> = {
  QUEUED: 'queued_locally',
  PAUSED: 'queued_locally',
  FETCHING: 'initializing',
  DOWNLOADING: 'in_progress',
  PP_QUEUED: 'in_progress',
  LOADING_PARS: 'in_progress',
  VERIFYING_SOURCES: 'in_progress',
  REPAIRING: 'in_progress',
  VERIFYING_REPAIRED: 'in_progress',
  RENAMING: 'in_progress',
  UNPACKING: 'in_progress',
  MOVING: 'in_progress',
  EXECUTING_SCRIPT: 'in_progress',
  PP_FINISHED: 'in_progress',
};

export type HistoryOutcome =
  { state: 'succeeded' } | { state: 'errored' | 'rejected' | 'cancelled'; failure: UsenetFailure };

const ok: HistoryOutcome = { state: 'succeeded' };
const failed = (failure: UsenetFailure): HistoryOutcome => ({ state: 'errored', failure });

/** History statuses (`KIND/DETAIL`, NZBGet 21). Anything not listed falls back on its kind. */
export const NZBGET_HISTORY_OUTCOMES: Readonly<Record<string, HistoryOutcome>> = {
  'SUCCESS/ALL': ok,
  'SUCCESS/UNPACK': ok,
  'SUCCESS/PAR': ok,
  'SUCCESS/HEALTH': ok,
  'SUCCESS/GOOD': ok,
  'SUCCESS/MARK': ok,
  // The files are complete; only a post-processing script of the user's failed.
  'WARNING/SCRIPT': ok,
  'WARNING/SPACE': failed('disk_full'),
  'WARNING/PASSWORD': failed('password'),
  'WARNING/DAMAGED': failed('par_failed'),
  'WARNING/REPAIRABLE': failed('par_failed'),
  'WARNING/HEALTH': failed('missing_articles'),
  'WARNING/SKIPPED': failed('unknown'),
  'FAILURE/PAR': failed('par_failed'),
  'FAILURE/UNPACK': failed('unpack_failed'),
  'FAILURE/MOVE': failed('move_failed'),
  'FAILURE/SCAN': failed('invalid_nzb'),
  'FAILURE/BAD': failed('invalid_nzb'),
  'FAILURE/HEALTH': failed('missing_articles'),
  'FAILURE/FETCH': failed('invalid_nzb'),
  'DELETED/MANUAL': { state: 'cancelled', failure: 'cancelled' },
  'DELETED/HEALTH': failed('missing_articles'),
  'DELETED/DUPE': { state: 'rejected', failure: 'dupe' },
  'DELETED/COPY': { state: 'rejected', failure: 'dupe' },
  'DELETED/GOOD': { state: 'rejected', failure: 'dupe' },
  'DELETED/SCAN': failed('invalid_nzb'),
  'DELETED/BAD': failed('invalid_nzb'),
};

/** An unpack failure says more in UnpackStatus: a password or a full disk is not a damaged release. */
const UNPACK_DETAIL: Readonly<Record<string, UsenetFailure>> = {
  PASSWORD: 'password',
  SPACE: 'disk_full',
};

export function historyOutcome(status: string, unpackStatus?: string): HistoryOutcome {
  const exact = NZBGET_HISTORY_OUTCOMES[status];
  const detail = unpackStatus === undefined ? undefined : UNPACK_DETAIL[unpackStatus];
  if (exact !== undefined) {
    return exact.state === 'errored' && detail !== undefined ? failed(detail) : exact;
  }
  if (status.startsWith('SUCCESS/')) return ok;
  if (status.startsWith('DELETED/')) return { state: 'cancelled', failure: 'cancelled' };
  return failed(detail ?? 'unknown');
}

export const PARAM_SOURCE = 'SoulSpot:source';
export const PARAM_FILE = 'SoulSpot:file';
export const PARAM_WANT = 'SoulSpot:want';

const bytes = (lo: number, hi: number): number => hi * 2 ** 32 + (lo >>> 0);

function param(
  job: { Parameters?: { Name: string; Value: string }[] | undefined },
  name: string,
): string | undefined {
  return job.Parameters?.find((p) => p.Name === name)?.Value;
}

/** Whether a job is one SoulSpot added: in its category, with its batch id in the name. */
export function isOurs(job: { NZBName: string; Category: string }, category: string): boolean {
  return job.Category === category && batchIdOf(job.NZBName) !== null;
}

function base(job: NzbgetGroup | NzbgetHistoryItem) {
  const batchId = batchIdOf(job.NZBName);
  const status: Omit<TransferStatus, 'state' | 'raw' | 'bytesTransferred' | 'percentComplete'> = {
    id: String(job.NZBID),
    username: param(job, PARAM_SOURCE) ?? job.Category,
    filename: param(job, PARAM_FILE) ?? job.NZBName,
    size: bytes(job.FileSizeLo, job.FileSizeHi),
    averageSpeed: 0,
  };
  if (batchId !== null) status.batchId = batchId;
  return status;
}

export function mapGroup(group: NzbgetGroup): TransferStatus {
  const common = base(group);
  const remaining = bytes(group.RemainingSizeLo, group.RemainingSizeHi);
  const done = Math.max(0, common.size - remaining);
  return {
    ...common,
    state: NZBGET_QUEUE_STATES[group.Status] ?? 'in_progress',
    raw: group.Status,
    bytesTransferred: done,
    averageSpeed: group.DownloadRate ?? 0,
    percentComplete: common.size > 0 ? Math.min(100, (done / common.size) * 100) : 0,
  };
}

export function mapHistory(item: NzbgetHistoryItem): TransferStatus {
  const common = base(item);
  const outcome = historyOutcome(item.Status, item.UnpackStatus);
  const downloaded =
    item.DownloadedSizeLo === undefined
      ? common.size
      : bytes(item.DownloadedSizeLo, item.DownloadedSizeHi ?? 0);
  const status: TransferStatus = {
    ...common,
    state: outcome.state,
    raw:
      item.UnpackStatus && item.UnpackStatus !== 'NONE' && item.UnpackStatus !== 'SUCCESS'
        ? `${item.Status} (unpack ${item.UnpackStatus})`
        : item.Status,
    bytesTransferred: Math.min(downloaded, common.size),
    percentComplete:
      outcome.state === 'succeeded'
        ? 100
        : common.size > 0
          ? Math.min(100, (downloaded / common.size) * 100)
          : 0,
  };
  if (item.HistoryTime !== undefined) status.requestedAt = item.HistoryTime * 1000;
  if (outcome.state !== 'succeeded') {
    const health =
      item.Health !== undefined && item.CriticalHealth !== undefined
        ? `health ${(item.Health / 10).toFixed(1)}% (critical ${(item.CriticalHealth / 10).toFixed(1)}%), ${item.FailedArticles ?? 0} articles failed`
        : '';
    status.exception = [item.Status, health].filter((s) => s !== '').join(', ');
  }
  return status;
}

/** The failure of a transfer `mapHistory` made: its kind from the raw status alone. */
export function classifyNzbget(transfer: Pick<TransferStatus, 'raw' | 'exception' | 'state'>): {
  code: ReturnType<typeof describeUsenetFailure>['code'];
  message: string;
} {
  const match = /^(\S+)(?: \(unpack (\S+)\))?$/.exec(transfer.raw);
  const status = match?.[1] ?? transfer.raw;
  const outcome = historyOutcome(status, match?.[2]);
  const kind: UsenetFailure = outcome.state === 'succeeded' ? 'unknown' : outcome.failure;
  return describeUsenetFailure('NZBGet', kind, transfer.exception ?? transfer.raw);
}
