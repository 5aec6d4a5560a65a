import {
  providerUnavailable,
  type DownloadProvider,
  type TransferStatus,
} from '../providers/provider.js';
import { isProviderSet } from '../providers/provider-set.js';
import type { ProviderId } from '../providers/release.js';

export type TransferUpdate =
  | { kind: 'status'; transfer: TransferStatus }
  /** The daemon answered but no longer lists this transfer. */
  | { kind: 'missing' }
  /** The daemon could not be asked this cycle. */
  | { kind: 'unavailable'; error: unknown };

type Listener = (update: TransferUpdate) => void;

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
  return movingEndAt(t, readAt);
}

/** How old a daemon's byte count can be when listed: slskd saves it about every 250 ms. */
export const BYTES_SAVED_EVERY_MS = 300;

/**
 * When a transfer moving at a measured speed should end, for a list read at `readAt`. Bytes left
 * at its average speed from the read would be late by as much as the count is old (slskd saves it
 * only every ~250 ms), so a slot would be seen free up to that much after its end. Where the
 * daemon says when bytes began to flow, the average speed dates the count instead: the end is
 * `startedAt + size / speed`. That one is kept within the count's staleness before the read's
 * estimate, so a daemon clock that is off (or a resumed transfer, whose speed leaves out the bytes
 * it resumed from) moves the look by no more than that. Pure; exported for its unit test.
 */
export function movingEndAt(t: TransferStatus, readAt: number): number {
  const fromRead = readAt + (Math.max(0, t.size - t.bytesTransferred) / t.averageSpeed) * 1000;
  if (t.startedAt === undefined) return fromRead;
  const fromStart = t.startedAt + (t.size / t.averageSpeed) * 1000;
  return Math.min(fromRead, Math.max(fromRead - BYTES_SAVED_EVERY_MS, fromStart));
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
 * How long after its predicted end a transfer is looked at: the daemon records the end a little
 * late. Kept short because a look that comes too soon costs only a second one (LOOKS_PER_COUNT).
 */
export const END_MARGIN_MS = 5;

/**
 * Early looks spent on one transfer while its byte count stays the same: the second one, a
 * shortest gap after the first, catches an end the daemon recorded a little after the prediction;
 * after it the transfer waits for its bytes to move (or the regular cycles, for a stalled one).
 */
export const LOOKS_PER_COUNT = 2;

/** Per followed transfer, the byte count the last early look was spent on, and how many were. */
export type EarlyLooks = ReadonlyMap<string, { bytes: number; looks: number }>;

/** The shortest gap between two cycles: never a request per tick, however many transfers end. */
export function minCycleGapMs(pollIntervalMs: number): number {
  return Math.max(25, Math.round(pollIntervalMs / 8));
}

/**
 * When to look before the regular cycle because a moving transfer should have ended by then (bytes
 * left at its average speed, plus a margin), or null when none should end before `regularAt`.
 * Only transfers moving bytes with a measured speed count: one that is about to start, or waiting
 * in a peer's queue, has no end to look for (its start is seen at the regular cycle), so an early
 * look is only ever spent where a slot is about to free. Never sooner than `minGapMs` after
 * `readAt`. Pure; exported for its unit test.
 */
export function earlyCycleAt(
  transfers: readonly TransferStatus[],
  readAt: number,
  followed: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  regularAt: number,
  minGapMs: number,
  /**
   * Per transfer, its bytes when early looks were last spent on it: after LOOKS_PER_COUNT none is
   * spent again until they moved. A transfer stuck near its end keeps its average speed, and
   * would otherwise be "about to end" at every cycle.
   */
  lookedAt: EarlyLooks = new Map(),
): number | null {
  let soonest: number | null = null;
  for (const t of transfers) {
    if (!followed.has(t.id) || t.state !== 'in_progress' || t.averageSpeed <= 0) continue;
    const looked = lookedAt.get(t.id);
    if (looked?.bytes === t.bytesTransferred && looked.looks >= LOOKS_PER_COUNT) continue;
    const end = movingEndAt(t, readAt);
    if (soonest === null || end < soonest) soonest = end;
  }
  if (soonest === null) return null;
  const at = Math.max(readAt + minGapMs, soonest + END_MARGIN_MS);
  return at < regularAt - minGapMs ? at : null;
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
  /** The client each watched transfer is at, when the watcher said (provider sets). */
  const clientOf = new Map<string, ProviderId>();
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  /** The last list read, for readers without a worker (parked downloads): no second request. */
  let last: { at: number; transfers: TransferStatus[] } | null = null;
  let lastError: unknown = null;

  const minGapMs = minCycleGapMs(deps.pollIntervalMs);
  /** When the next regular cycle (every watcher answered) is due. */
  let regularAt = 0;
  /** The state each watcher was last handed, so an early cycle hands on only what changed. */
  const delivered = new Map<string, string>();
  /** Bytes of each transfer when an early cycle was last scheduled for it (earlyCycleAt). */
  const lookedAt = new Map<string, { bytes: number; looks: number }>();

  const cycle = (early = false): Promise<void> =>
    (running ??= runOnce(early).finally(() => {
      running = null;
      // The regular rhythm runs from the end of the last regular cycle, as it always has.
      if (!early) regularAt = Date.now() + deps.pollIntervalMs;
      schedule();
    }));

  /**
   * One list request. A regular cycle answers every watcher (the stall deadline relies on that); an
   * early one, at a transfer's predicted end, only those whose transfer changed state (it ended,
   * failed, started), so it adds no progress writes.
   */
  const notConfigured = (client: ProviderId): unknown =>
    isProviderSet(deps.provider) && !deps.provider.ids.includes(client)
      ? providerUnavailable(client, `no download client "${client}" is configured`)
      : undefined;

  const runOnce = async (early: boolean): Promise<void> => {
    const started = Date.now();
    let updates: Array<[string, TransferUpdate]>;
    try {
      const { transfers, failed } = await listAll(deps.provider);
      last = { at: Date.now(), transfers };
      const byId = new Map(transfers.map((t) => [t.id, t]));
      // A transfer of a client that could not be asked is unavailable, not missing (missing three
      // times reads as "the daemon dropped it"); the other clients' go on. A watcher that named
      // no client is unavailable while any client is.
      const down = new Map(failed.map((f) => [f.provider, f.error]));
      if (failed.length > 0) lastError = failed[0]!.error;
      updates = [...listeners.keys()].map((id) => {
        const t = byId.get(id);
        if (t && !t.removed) return [id, { kind: 'status', transfer: t }];
        const client = clientOf.get(id);
        // A client no longer configured (removed or disabled through the API) is unavailable too:
        // its transfers wait for it under the provider-unavailable rule instead of going missing.
        const error =
          client === undefined ? failed[0]?.error : (down.get(client) ?? notConfigured(client));
        return [
          id,
          error !== undefined || (client === undefined && failed.length > 0)
            ? { kind: 'unavailable', error }
            : { kind: 'missing' },
        ];
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
    for (const [id, update] of updates) {
      const state = update.kind === 'status' ? update.transfer.state : update.kind;
      if (early && (update.kind !== 'status' || delivered.get(id) === state)) continue;
      delivered.set(id, state);
      for (const l of listeners.get(id) ?? []) l(update);
    }
  };

  const schedule = (): void => {
    if (stopped || timer || running || listeners.size === 0) return;
    const now = Date.now();
    // The first watch after an idle spell waits one interval, as before.
    if (regularAt <= now - deps.pollIntervalMs) regularAt = now + deps.pollIntervalMs;
    // The slot a transfer frees is refilled only once its end is seen: look at its predicted end
    // rather than up to a whole poll interval later.
    const early = last
      ? earlyCycleAt(last.transfers, last.at, listeners, regularAt, minGapMs, lookedAt)
      : null;
    // Early looks are counted per transfer and bytes value: those they are spent on wait for
    // their bytes to move (a stalled one is then seen at the regular cycles, and the stall
    // timeout ends it). A look counts only for the transfers it is for, those due by then: one
    // due later must not use up its looks on another's.
    if (early !== null && last) {
      for (const t of last.transfers) {
        if (!listeners.has(t.id) || t.state !== 'in_progress' || t.averageSpeed <= 0) continue;
        if (movingEndAt(t, last.at) + END_MARGIN_MS > early) continue;
        const looked = lookedAt.get(t.id);
        const looks = looked?.bytes === t.bytesTransferred ? looked.looks + 1 : 1;
        lookedAt.set(t.id, { bytes: t.bytesTransferred, looks });
      }
    }
    const at = early ?? Math.max(regularAt, now);
    timer = setTimeout(
      () => {
        timer = null;
        void cycle(early !== null);
      },
      Math.max(0, at - now),
    );
  };

  return {
    /** Calls listener after every cycle with this transfer's update until the returned function is called. */
    watch(transferId: string, listener: Listener, provider?: ProviderId): () => void {
      if (provider !== undefined) clientOf.set(transferId, provider);
      let set = listeners.get(transferId);
      if (!set) listeners.set(transferId, (set = new Set()));
      set.add(listener);
      schedule();
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(transferId);
          clientOf.delete(transferId);
          delivered.delete(transferId);
          lookedAt.delete(transferId);
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
    /**
     * The followed transfers moving bytes in the last list, and their summed speed (bytes/s), for
     * metrics: no request of its own.
     */
    activity(): { active: number; bytesPerSecond: number } {
      let active = 0;
      let bytesPerSecond = 0;
      for (const t of last?.transfers ?? []) {
        if (!listeners.has(t.id) || t.state !== 'in_progress') continue;
        active += 1;
        bytesPerSecond += Math.max(0, t.averageSpeed);
      }
      return { active, bytesPerSecond };
    },
    /** Transfers followed by workers now. */
    get followed(): number {
      return listeners.size;
    },
    /** Runs one cycle now (benchmarks and tests). */
    runCycle: (): Promise<void> => cycle(),
    stop(): void {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

export type TransferMonitor = ReturnType<typeof createTransferMonitor>;

/**
 * The transfers of every client: a provider set reads each client on its own (one down leaves the
 * others readable, provider-set.ts); a single provider all or nothing. Throws only when nothing
 * could be read.
 */
async function listAll(provider: DownloadProvider): Promise<{
  transfers: TransferStatus[];
  failed: Array<{ provider: ProviderId; error: unknown }>;
}> {
  if (!isProviderSet(provider)) return { transfers: await provider.listTransfers(), failed: [] };
  const result = await provider.listTransfersEach();
  if (result.transfers.length === 0 && result.failed.length > 0) throw result.failed[0]!.error;
  return result;
}
