import {
  ProviderError,
  type DownloadProvider,
  type TransferStatus,
} from '../providers/provider.js';
import { clientFor } from '../providers/provider-set.js';
import { ACTIVE_STATUSES } from './download.js';
import type { Logger } from './download.job.js';
import type { AttemptWithDownload, DownloadRepository } from './download.repository.js';
import { errorPolicy } from './error-codes.js';

/*
 * Nothing left behind at the daemon. A crash between a command and its call to slskd, a cancel made
 * while slskd was unreachable, a worker that lost its download: each can leave a transfer at slskd
 * that no download follows, and slskd would download it (and keep its record) for ever. The attempt
 * rows are the durable memory of what SoulSpot started (batch id, transfer id); at start, after an
 * outage and periodically this sweep compares them with slskd's one list and cancels + removes every
 * transfer SoulSpot started that no active download follows. Transfers SoulSpot never started (the
 * user's own, in slskd's UI) are left alone.
 */

/**
 * How far slskd's clock may be behind ours when a legacy record (no batch id) is matched to an
 * attempt by user + filename: a record requested earlier than the attempt began, minus this, is
 * not the attempt's (see slskd.enqueue.ts, which applies the same rule).
 */
const CLOCK_SKEW_MS = 2_000;

/** Attempt states in which the attempt still stands for its transfer. */
const FOLLOWING_STATES = new Set(['pending', 'enqueued', 'succeeded']);
const ACTIVE = new Set<string>(ACTIVE_STATUSES);

export interface SweepVerdict {
  /** Started by SoulSpot, followed by no active download: cancel (or just remove when done). */
  orphans: TransferStatus[];
  /** Not started by SoulSpot as far as any attempt row tells: never touched. */
  foreign: TransferStatus[];
}

/**
 * The attempts that stand for a transfer: by transfer id, batch id, or (no batch id) user + file,
 * at the same client when both sides say which (transfer ids are only unique within a client).
 */
function attemptsOf(t: TransferStatus, attempts: readonly AttemptWithDownload[]) {
  const sameClient = (a: AttemptWithDownload) =>
    t.provider === undefined || a.provider === undefined || a.provider === t.provider;
  return attempts.filter(
    (a) =>
      sameClient(a) &&
      (a.transfer_id === t.id ||
        (t.batchId !== undefined && a.batch_id === t.batchId.toLowerCase()) ||
        (t.batchId === undefined &&
          a.transfer_id === null &&
          a.username === t.username &&
          a.filename === t.filename &&
          (t.requestedAt ?? 0) >= a.created_at - CLOCK_SKEW_MS)),
  );
}

/** Pure: which of the daemon's transfers are orphans, given the attempts that may match them. */
export function judgeTransfers(
  transfers: readonly TransferStatus[],
  attempts: readonly AttemptWithDownload[],
): SweepVerdict {
  const verdict: SweepVerdict = { orphans: [], foreign: [] };
  for (const t of transfers) {
    const mine = attemptsOf(t, attempts);
    if (mine.length === 0) {
      verdict.foreign.push(t);
      continue;
    }
    const followed = mine.some(
      (a) =>
        ACTIVE.has(a.download_status) &&
        a.current_attempt_id === a.id &&
        FOLLOWING_STATES.has(a.state),
    );
    if (!followed) verdict.orphans.push(t);
  }
  return verdict;
}

export function createOrphanSweep(deps: {
  provider: DownloadProvider;
  repo: DownloadRepository;
  log: Logger;
  intervalMs: number;
}) {
  const { provider, repo, log } = deps;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  async function once(): Promise<{ cancelled: number; removed: number }> {
    const transfers = (await provider.listTransfers()).filter((t) => t.removed !== true);
    const attempts = await repo.attemptsForTransfers({
      transferIds: transfers.map((t) => t.id),
      batchIds: transfers.flatMap((t) => (t.batchId ? [t.batchId.toLowerCase()] : [])),
      filenames: transfers.filter((t) => t.batchId === undefined).map((t) => t.filename),
    });
    const { orphans, foreign } = judgeTransfers(transfers, attempts);
    if (foreign.length > 0)
      log.debug({ count: foreign.length }, 'slskd transfers SoulSpot did not start');
    let cancelled = 0;
    let removed = 0;
    for (const t of orphans) {
      if (stopped) break;
      try {
        if (t.state === 'succeeded') {
          // Done and nobody needs the record: removing it only hides it (the file stays).
          await clientFor(provider, t.provider).forget(t.username, t.id);
          removed++;
          continue;
        }
        // Re-checked right before the cancel: a download may have adopted it since the list was read.
        if (await repo.isTransferFollowed(t)) continue;
        // Also for a failed one: slskd may be about to retry it. cancel() waits, then removes it.
        await clientFor(provider, t.provider).cancel(t.username, t.id);
        cancelled++;
        log.info(
          { user: t.username, file: t.filename, state: t.raw },
          'cancelled a transfer at slskd that no download follows',
        );
      } catch (error) {
        log.warn({ user: t.username, file: t.filename, error: String(error) }, 'could not sweep');
      }
    }
    return { cancelled, removed };
  }

  /** One sweep; a sweep already running is joined, not doubled. Never throws. */
  function sweep(): Promise<void> {
    if (stopped) return Promise.resolve();
    running ??= once()
      .then((r) => {
        if (r.cancelled + r.removed > 0) log.info(r, 'swept slskd transfers no download follows');
      })
      .catch((error: unknown) => {
        // slskd unreachable or the database busy: the next sweep tries again.
        const down = error instanceof ProviderError && errorPolicy(error.code).waitForDaemon;
        (down ? log.debug : log.warn).call(log, { error: String(error) }, 'orphan sweep failed');
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    sweep,
    /** Sweeps now and then every `intervalMs`. */
    start(): void {
      void sweep();
      timer = setInterval(() => void sweep(), deps.intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}

export type OrphanSweep = ReturnType<typeof createOrphanSweep>;
