import { ProviderError, type EnqueueRequest, type TransferStatus } from '../provider.js';
import type { SlskdApi, SlskdTransfer, SlskdUserGroup } from './slskd.api.js';
import {
  classifyExceptionText,
  isCompletedState,
  mapTransfer,
  parseSlskdTime,
} from './slskd.mapping.js';
import type { SlskdSettings } from './slskd.settings.js';

/*
 * Enqueueing one file and finding it again, on slskd ≥ 0.26 (batches, found by the client-chosen
 * batch id) and before (the legacy endpoint, found by user + remote filename).
 *
 * slskd connects to the peer BEFORE it records a transfer (DownloadService.EnqueueAsync): with a
 * slow peer the POST stays open past our request timeout, and 0.26 shows the batch meanwhile without
 * its transfer. A timed-out enqueue is therefore not a failed one: it is looked up (and, on 0.26,
 * sent once more under the same batch id, which slskd answers with 409 if it has it; never on the
 * legacy endpoint, see `settle`) until slskd has recorded it or `enqueueSettleMs` has passed. Only
 * then is the source called failed.
 */

/**
 * slskd's clock and SoulSpot's may differ a little (same host or NTP in practice). A finished
 * record requested up to this long before the attempt began still counts as the attempt's; one
 * requested earlier is an earlier attempt's and is never adopted. Larger would let an earlier
 * attempt's record through; smaller would miss our own when slskd's clock lags.
 */
export const CLOCK_SKEW_MS = 2_000;

/** Runs tasks one at a time (slskd answers 429 to more than two enqueues in flight). */
export type Lock = <T>(task: () => Promise<T>) => Promise<T>;

/** The POST gave no usable answer yet (timed out, 409, no transfer in the body): look it up. */
const SETTLE = Symbol('settle');
type Posted = TransferStatus | typeof SETTLE;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isTimeout = (error: unknown): boolean =>
  error instanceof ProviderError && error.code === 'timeout';

interface Pick {
  activeOnly: boolean;
  /** Finished records requested before this (minus the skew) are left out. */
  notBefore?: number;
}

/** The newest matching record from a user's downloads, preferring active ones. */
export function pickTransfer(
  groups: readonly SlskdUserGroup[],
  username: string,
  filename: string,
  pick: Pick,
): SlskdTransfer | null {
  const time = (t: SlskdTransfer) => parseSlskdTime(t.requestedAt) ?? 0;
  const oldest = pick.notBefore === undefined ? -Infinity : pick.notBefore - CLOCK_SKEW_MS;
  const matches: SlskdTransfer[] = [];
  for (const group of groups) {
    if (group.username !== username) continue;
    for (const directory of group.directories) {
      for (const transfer of directory.files) {
        if (transfer.filename !== filename || transfer.removed === true) continue;
        const done = isCompletedState(transfer.state);
        if (done && (pick.activeOnly || time(transfer) < oldest)) continue;
        matches.push(transfer);
      }
    }
  }
  matches.sort((a, b) => {
    const activeA = isCompletedState(a.state) ? 0 : 1;
    const activeB = isCompletedState(b.state) ? 0 : 1;
    return activeB - activeA || time(b) - time(a);
  });
  return matches[0] ?? null;
}

export function createEnqueuer(api: SlskdApi, settings: SlskdSettings, lock: Lock) {
  async function findUserTransfer(request: EnqueueRequest, pick: Pick) {
    const group = await api.getUserDownloads(request.username);
    if (group === null) return null;
    return pickTransfer([group], request.username, request.filename, pick);
  }

  /** "Skipped: Already in progress": the (username, filename) pair is active already; adopt it. */
  async function adoptActive(request: EnqueueRequest): Promise<TransferStatus> {
    const existing =
      (await findUserTransfer(request, { activeOnly: true })) ??
      pickTransfer(await api.getAllDownloads(), request.username, request.filename, {
        activeOnly: true,
      });
    if (existing === null) {
      throw new ProviderError(
        'unknown',
        `slskd skipped ${request.filename} from ${request.username} as already in progress, ` +
          'but no active transfer for it was found',
      );
    }
    return mapTransfer(existing);
  }

  async function postBatch(request: EnqueueRequest): Promise<Posted> {
    let reply;
    try {
      reply = await api.postBatch({
        id: request.batchId,
        username: request.username,
        files: [{ filename: request.filename, size: request.size }],
      });
    } catch (error) {
      if (isTimeout(error)) return SETTLE;
      throw error;
    }
    if (reply.status === 409) {
      // 409 here means "batch id exists" (a retried enqueue); guard against a not-logged-in text anyway.
      if (/not (?:connected|logged in)/i.test(reply.message)) {
        throw new ProviderError(
          'slskd_unavailable',
          `slskd is not logged in to Soulseek: ${reply.message}`,
          409,
        );
      }
      return SETTLE;
    }
    const transfer = reply.body.batch?.transfers?.find((t) => t.filename === request.filename);
    if (transfer !== undefined) return mapTransfer(transfer);
    const failure =
      reply.body.failures?.find((f) => f.filename === request.filename) ?? reply.body.failures?.[0];
    if (failure === undefined) return SETTLE; // 201 without the transfer in the body: read it back
    const message = failure.message ?? '';
    if (/^\s*skipped/i.test(message) || /already in progress/i.test(message)) {
      return adoptActive(request);
    }
    const classified = classifyExceptionText(message);
    throw new ProviderError(
      classified?.code ?? 'transfer_failed',
      classified?.message ?? `slskd could not enqueue the file: ${message || 'no reason given'}`,
      reply.status,
    );
  }

  async function postLegacy(request: EnqueueRequest): Promise<Posted> {
    let result;
    try {
      result = await api.postLegacyEnqueue(request.username, [
        { filename: request.filename, size: request.size },
      ]);
    } catch (error) {
      if (isTimeout(error)) return SETTLE;
      throw error;
    }
    const created = result.enqueued?.find((t) => t.filename === request.filename);
    if (created !== undefined) return mapTransfer(created);
    // Skipped (a `{}` failure), an "Error: …" (also `{}`), or a ≤0.23 server with an empty body: an
    // active record is what a skip means; otherwise only a record of this attempt will do.
    const existing = await findUserTransfer(request, {
      activeOnly: false,
      notBefore: request.notBefore,
    });
    if (existing === null) {
      throw new ProviderError(
        'transfer_failed',
        `slskd accepted the enqueue of ${request.filename} but created no transfer for it`,
      );
    }
    return mapTransfer(existing);
  }

  /** This enqueue's transfer if slskd has recorded it, or null (not yet, or never). */
  async function lookUp(request: EnqueueRequest, batches: boolean): Promise<TransferStatus | null> {
    if (batches) {
      const batch = await api.getBatch(request.batchId);
      const transfer = batch?.transfers?.find((t) => t.filename === request.filename);
      return transfer === undefined ? null : mapTransfer(transfer);
    }
    const transfer = await findUserTransfer(request, {
      activeOnly: false,
      notBefore: request.notBefore,
    });
    return transfer === null ? null : mapTransfer(transfer);
  }

  /** After a POST without a usable answer: wait for slskd to record the transfer (see the top). */
  async function settle(request: EnqueueRequest, batches: boolean): Promise<TransferStatus> {
    const deadline = Date.now() + settings.enqueueSettleMs;
    let sentAgain = false;
    for (;;) {
      const found = await lookUp(request, batches);
      if (found !== null) return found;
      // The first POST may never have reached slskd. Sending it again is safe with a batch id
      // (0.26 saves the batch before it connects, so a known one gets a 409). Not on the legacy
      // endpoint: slskd records nothing there until the peer is connected, so a second POST made
      // meanwhile is not skipped, and once the first transfer has finished it supersedes it and the
      // file is downloaded twice. There the first POST is only waited for.
      if (!sentAgain && batches) {
        sentAgain = true;
        const again = await lock(() => (batches ? postBatch(request) : postLegacy(request)));
        if (again !== SETTLE) return again;
        continue;
      }
      if (Date.now() >= deadline) {
        throw new ProviderError(
          'timeout',
          `slskd has not recorded the enqueue of ${request.filename} from ${request.username} ` +
            `${Math.round(settings.enqueueSettleMs / 1000)} s after it was asked; the peer may be unreachable`,
        );
      }
      await sleep(settings.enqueuePollMs);
    }
  }

  return {
    async enqueue(request: EnqueueRequest, batches: boolean): Promise<TransferStatus> {
      const posted = await lock(() => (batches ? postBatch(request) : postLegacy(request)));
      return posted === SETTLE ? settle(request, batches) : posted;
    },

    /** After a crash: the transfer an earlier enqueue with this request created, or null. */
    async findEnqueued(request: EnqueueRequest, batches: boolean): Promise<TransferStatus | null> {
      return lookUp(request, batches);
    },
  };
}
