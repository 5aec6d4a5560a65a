import { isActive, type DownloadStatus } from '../downloads/download.js';
import type { TransferStatus } from '../providers/provider.js';
import type { SourceWaitRepository } from './source-wait.repository.js';

/** Transfer states in which a parked download stays parked: nothing moves yet. */
const STILL_WAITING = new Set<TransferStatus['state']>([
  'queued_remotely',
  'queued_locally',
  'requested',
]);

export interface SourceWatchOptions {
  repo: SourceWaitRepository;
  /** The monitor's transfer list, no older than the given age (one list request per cycle). */
  transfers: (maxAgeMs: number) => Promise<TransferStatus[]>;
  pollIntervalMs: number;
  /** Read at every look: the setting may change. */
  stallTimeoutMs: () => number;
  now: () => number;
  /** A parked download became claimable: the runner should look now. */
  onReady: () => void;
  /** Parked downloads whose place in their peer's queue was written (their DTO changed). */
  onQueuePositions?: (ids: string[]) => void;
  onError: (error: unknown) => void;
}

/**
 * Follows parked downloads without a worker (docs/architecture.md, "Slots"): every poll interval
 * it reads the parked rows (an index of a few dozen rows) and, when there are any, the monitor's
 * transfer list. A transfer that moves, ends, fails or is gone, and one past the stall deadline,
 * makes its download ready: the runner claims it ahead of new work and its worker takes over (the
 * stall cancel included, so a cancel at the daemon is still sent by a lease holder only). Every
 * process runs one; the writes are idempotent, so a dead process's parked downloads are still seen.
 */
export function createSourceWatch(options: SourceWatchOptions) {
  const { repo, now } = options;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let looking: Promise<void> | null = null;

  const look = async (): Promise<void> => {
    const parked = await repo.parked();
    const waiting = parked.filter((p) => p.sourceWait === 'waiting');
    for (const p of parked) {
      if (!isActive(p.status as DownloadStatus)) {
        await repo.clear(p.id);
      }
    }
    if (waiting.length === 0) return;
    let byId: Map<string, TransferStatus>;
    try {
      byId = new Map((await options.transfers(options.pollIntervalMs)).map((t) => [t.id, t]));
    } catch {
      // The daemon cannot be asked: nobody's stall either. The next look tries again.
      return;
    }
    const stallMs = options.stallTimeoutMs();
    let woke = false;
    const placed: string[] = [];
    for (const p of waiting) {
      const t = p.transferId ? byId.get(p.transferId) : undefined;
      const moved = !t || t.removed || !STILL_WAITING.has(t.state);
      if (moved || now() - p.since > stallMs) {
        if (await repo.markReady(p.id, now())) woke = true;
      } else if (t.placeInQueue !== undefined && t.placeInQueue !== p.queuePosition) {
        // The user sees the place move while the download waits without a worker.
        if (await repo.setQueuePosition(p.id, t.placeInQueue, now())) placed.push(p.id);
      }
    }
    if (woke) options.onReady();
    if (placed.length > 0) options.onQueuePositions?.(placed);
  };

  const tick = (): void => {
    timer = null;
    if (stopped) return;
    looking = look()
      .catch((error: unknown) => options.onError(error))
      .finally(() => {
        looking = null;
        if (!stopped) timer = setTimeout(tick, options.pollIntervalMs);
      });
  };

  return {
    start(): void {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    /** One look now (tests). */
    look,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await looking;
    },
  };
}

export type SourceWatch = ReturnType<typeof createSourceWatch>;
