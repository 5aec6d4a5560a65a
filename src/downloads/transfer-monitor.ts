import type { DownloadProvider, TransferStatus } from '../providers/provider.js';

export type TransferUpdate =
  | { kind: 'status'; transfer: TransferStatus }
  /** The daemon answered but no longer lists this transfer. */
  | { kind: 'missing' }
  /** The daemon could not be asked this cycle. */
  | { kind: 'unavailable'; error: unknown };

type Listener = (update: TransferUpdate) => void;

/** How long after its predicted end a transfer is looked at: slskd reports the end a little late. */
const END_MARGIN_MS = 10;
/** The shortest gap between two cycles, even when several transfers are about to end. */
const MIN_GAP_MS = 25;

/** States in which a transfer is about to move or to end: worth looking at again soon. */
const ABOUT_TO_MOVE = new Set<TransferStatus['state']>([
  'requested',
  'queued_locally',
  'initializing',
]);

/**
 * When a followed transfer is next expected to change for its download: the soonest predicted end
 * among those moving (bytes left at their average speed, from the list read at `readAt`); `readAt`
 * itself for one just enqueued, starting, or not listed yet (it may start and end within one poll
 * interval); null when none is (all waiting in peers' queues, or nothing followed). Pure; exported
 * for its unit test.
 */
export function predictedEnd(
  transfers: readonly TransferStatus[],
  readAt: number,
  followed: ReadonlySet<string> | ReadonlyMap<string, unknown>,
): number | null {
  let soonest: number | null = null;
  const listed = new Set<string>();
  for (const t of transfers) {
    if (!followed.has(t.id)) continue;
    listed.add(t.id);
    const end = expectedEnd(t, readAt);
    if (end !== null && (soonest === null || end < soonest)) soonest = end;
  }
  if (listed.size < followed.size) return readAt;
  return soonest;
}

/** One transfer's expected end (see predictedEnd), or null while it waits in the peer's queue. */
function expectedEnd(t: TransferStatus, readAt: number): number | null {
  if (ABOUT_TO_MOVE.has(t.state)) return readAt;
  if (t.state !== 'in_progress') return null;
  if (t.averageSpeed <= 0) return readAt;
  return readAt + (Math.max(0, t.size - t.bytesTransferred) / t.averageSpeed) * 1000;
}

/**
 * Followed transfers expected to end within `horizonMs` of `now` (or just enqueued, starting, or
 * not listed yet): slots about to free. Pure.
 */
export function endingWithin(
  transfers: readonly TransferStatus[],
  readAt: number,
  followed: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  now: number,
  horizonMs: number,
): number {
  let n = 0;
  const listed = new Set<string>();
  for (const t of transfers) {
    if (!followed.has(t.id)) continue;
    listed.add(t.id);
    const end = t.state === 'succeeded' || t.removed ? readAt : expectedEnd(t, readAt);
    if (end !== null && end <= now + horizonMs) n++;
  }
  return n + (followed.size - listed.size);
}

/**
 * The wait before the next cycle: the poll interval, or less when a followed transfer should end
 * sooner, so its end is seen within tens of milliseconds rather than up to a whole interval late
 * (the slot it frees is refilled only once its end is seen). A transfer still moving after its
 * predicted end (the average overrated it) is looked at again after 25, 50, 100… ms (`overdue`
 * counts those looks), so a wrong prediction costs a few requests, never a request per tick.
 */
export function nextCycleDelay(
  soonestEnd: number | null,
  now: number,
  pollIntervalMs: number,
  overdue: number,
): number {
  if (soonestEnd === null) return pollIntervalMs;
  const wait = soonestEnd + END_MARGIN_MS - now;
  if (wait > 0) return Math.min(pollIntervalMs, Math.max(MIN_GAP_MS, wait));
  return Math.min(pollIntervalMs, MIN_GAP_MS * 2 ** overdue);
}

/**
 * Follows every active transfer with ONE list request per cycle, however many downloads are running,
 * and hands each download the record of its own transfer. It polls only while someone listens.
 */
export function createTransferMonitor(deps: {
  provider: DownloadProvider;
  pollIntervalMs: number;
  onCycle?: (stats: { transfers: number; listeners: number; ms: number }) => void;
}) {
  const listeners = new Map<string, Set<Listener>>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  /** The last list read, for readers without a worker (parked downloads): no second request. */
  let last: { at: number; transfers: TransferStatus[] } | null = null;
  let lastError: unknown = null;
  /** Consecutive early cycles that found the predicted-soonest transfer still moving. */
  let overdue = 0;

  const cycle = (): Promise<void> =>
    (running ??= runOnce().finally(() => {
      running = null;
      schedule();
    }));

  const runOnce = async (): Promise<void> => {
    const started = Date.now();
    let updates: Array<[string, TransferUpdate]>;
    try {
      const transfers = await deps.provider.listTransfers();
      last = { at: Date.now(), transfers };
      const byId = new Map(transfers.map((t) => [t.id, t]));
      updates = [...listeners.keys()].map((id) => {
        const t = byId.get(id);
        return [id, t && !t.removed ? { kind: 'status', transfer: t } : { kind: 'missing' }];
      });
      deps.onCycle?.({
        transfers: transfers.length,
        listeners: listeners.size,
        ms: Date.now() - started,
      });
    } catch (error) {
      lastError = error;
      updates = [...listeners.keys()].map((id) => [id, { kind: 'unavailable', error }]);
    }
    const at = Date.now();
    for (const [id, update] of updates) {
      if (!due(id, update, at)) continue;
      for (const l of listeners.get(id) ?? []) l(update);
    }
  };

  /**
   * Whether a listener gets this cycle's update. Early cycles (at a predicted end) exist to see an
   * end or a start sooner; a transfer that only moved more bytes is handed on at the regular
   * interval, so a worker writes its progress no more often than without them.
   */
  const delivered = new Map<string, { at: number; state: string }>();
  const due = (id: string, update: TransferUpdate, at: number): boolean => {
    const state = update.kind === 'status' ? update.transfer.state : update.kind;
    const last = delivered.get(id);
    if (last && last.state === state && at - last.at < deps.pollIntervalMs * 0.9) return false;
    delivered.set(id, { at, state });
    return true;
  };

  const soonestEnd = (): number | null =>
    last
      ? predictedEnd(last.transfers, last.at, listeners)
      : listeners.size > 0
        ? Date.now()
        : null;

  const schedule = (): void => {
    if (stopped || timer || running || listeners.size === 0) return;
    const end = soonestEnd();
    const now = Date.now();
    const delay = nextCycleDelay(end, now, deps.pollIntervalMs, overdue);
    overdue = end !== null && end + END_MARGIN_MS <= now ? overdue + 1 : 0;
    timer = setTimeout(() => {
      timer = null;
      void cycle();
    }, delay);
  };

  return {
    /** Calls listener after every cycle with this transfer's update until the returned function is called. */
    watch(transferId: string, listener: Listener): () => void {
      let set = listeners.get(transferId);
      if (!set) {
        listeners.set(transferId, (set = new Set()));
        // A new transfer may start and end within one poll interval: look sooner than planned.
        overdue = 0;
        if (timer) {
          clearTimeout(timer);
          timer = null;
        }
      }
      set.add(listener);
      schedule();
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(transferId);
          delivered.delete(transferId);
        }
      };
    },
    /**
     * The transfer list no older than maxAgeMs: the last cycle's when it is fresh, otherwise one
     * cycle now (which also serves the watchers). Throws when the daemon cannot be asked.
     */
    async latest(maxAgeMs: number): Promise<TransferStatus[]> {
      if (!last || Date.now() - last.at > maxAgeMs) {
        const before = last;
        await cycle();
        if (last === before || !last) throw lastError;
      }
      return last.transfers;
    },
    /**
     * How many followed transfers should end within `ms` (from the last list; see endingWithin):
     * slots about to free, which the prefetcher searches ahead for.
     */
    endingWithin(ms: number): number {
      if (!last) return listeners.size;
      return endingWithin(last.transfers, last.at, listeners, Date.now(), ms);
    },
    /** Transfers followed by workers now. */
    get followed(): number {
      return listeners.size;
    },
    /** Runs one cycle now (benchmarks and tests). */
    runCycle: cycle,
    stop(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

export type TransferMonitor = ReturnType<typeof createTransferMonitor>;
