import { isActive, type DownloadStatus } from '../downloads/download.js';
import type { DatabaseHandle } from '../db/database.js';
import { toProgressDto } from '../downloads/download.dto.js';
import type { EventLog } from '../events/event-log.js';
import type { TransferStatus } from '../providers/provider.js';
import type { SourceWaitRepository } from './source-wait.repository.js';

/** Transfer states in which a parked download stays parked: nothing moves yet. */
const STILL_WAITING = new Set<TransferStatus['state']>([
  'queued_remotely',
  'queued_locally',
  'requested',
]);

/** Places written per transaction (one UPDATE and its events). */
const POSITION_CHUNK = 500;

export interface SourceWatchOptions {
  repo: SourceWaitRepository;
  /** The places a look found moved are written in one transaction with their events. */
  handle: Pick<DatabaseHandle, 'writeTx'>;
  events: Pick<EventLog, 'appendMany'>;
  /** The monitor's transfer list, no older than the given age (one list request per cycle). */
  transfers: (maxAgeMs: number) => Promise<TransferStatus[]>;
  pollIntervalMs: number;
  /** Read at every look: the setting may change. */
  stallTimeoutMs: () => number;
  now: () => number;
  /** A parked download became claimable: the runner should look now. */
  onReady: () => void;
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

  /**
   * Every moved place of one look in one UPDATE, and its `download.progress` deltas (what a worker
   * announces for the same change) in the same transaction: a committed place always has its event,
   * and a crash between the two cannot leave SSE clients and other processes showing the old place.
   */
  const writePositions = async (moves: { id: string; position: number }[]): Promise<void> => {
    // In chunks: up to 100,000 downloads may be parked, and each place is two bound parameters.
    for (let i = 0; i < moves.length; i += POSITION_CHUNK) {
      const chunk = moves.slice(i, i + POSITION_CHUNK);
      await options.handle.writeTx(async (tx) => {
        const rows = await repo.setQueuePositions(chunk, now(), tx);
        if (rows.length === 0) return;
        await options.events.appendMany(
          tx,
          rows.map((r) => ({ type: 'download.progress' as const, payload: toProgressDto(r) })),
        );
      });
    }
  };

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
    const moves: { id: string; position: number }[] = [];
    for (const p of waiting) {
      const t = p.transferId ? byId.get(p.transferId) : undefined;
      const moved = !t || t.removed || !STILL_WAITING.has(t.state);
      if (moved || now() - p.since > stallMs) {
        if (await repo.markReady(p.id, now())) woke = true;
      } else if (t.placeInQueue !== undefined && t.placeInQueue !== p.queuePosition) {
        // The user sees the place move while the download waits without a worker.
        moves.push({ id: p.id, position: t.placeInQueue });
      }
    }
    if (woke) options.onReady();
    if (moves.length > 0) await writePositions(moves);
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
