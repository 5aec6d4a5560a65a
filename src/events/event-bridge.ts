import type { DatabaseHandle } from '../db/database.js';
import type { DownloadDto } from '../downloads/download.dto.js';
import type { EventBus, EventMap } from './event-bus.js';
import type { EventLog, LoggedEventName } from './event-log.js';

type Pending = { [K in LoggedEventName]: { type: K; payload: EventMap[K] } }[LoggedEventName];

export interface EventBridgeOptions {
  bus: EventBus;
  events: EventLog;
  handle: DatabaseHandle;
  log?: { warn(obj: object, msg?: string): void };
  /** Wait before writing again after a failed write. */
  retryMs?: number;
  /** Events held while the database refuses writes; beyond this the oldest are dropped. */
  maxPending?: number;
}

/** Statuses that get an event of their own when a download reaches them. */
const REACHED: Partial<Record<DownloadDto['status'], 'download.completed' | 'download.failed'>> = {
  completed: 'download.completed',
  failed: 'download.failed',
};

/**
 * Until every producer appends its events inside the transaction of its own write, this copies
 * what they emit on the bus into the log, in the order emitted, and derives download.completed /
 * download.failed from a download.updated that reaches those statuses. It writes whatever has
 * queued up in one small transaction at a time (one commit per batch, not per event), so a burst
 * of progress updates costs a few commits. An event emitted just before a crash can be lost here;
 * that is the gap the in-transaction `append` closes.
 */
export function createEventBridge(options: EventBridgeOptions) {
  const { bus, events, handle } = options;
  const retryMs = options.retryMs ?? 1000;
  const maxPending = options.maxPending ?? 10_000;
  let pending: Pending[] = [];
  let writing: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;
  // Last status seen per download, so a snapshot sent twice in the same terminal status does not
  // announce the completion twice. Bounded: the oldest entries go first.
  const lastStatus = new Map<string, DownloadDto['status']>();

  const push = (event: Pending): void => {
    pending.push(event);
    if (pending.length > maxPending) {
      pending.splice(0, pending.length - maxPending);
      options.log?.warn({ maxPending }, 'event log unwritable; oldest events dropped');
    }
    flushSoon();
  };

  const onDownload = (d: DownloadDto): void => {
    push({ type: 'download.updated', payload: d });
    const before = lastStatus.get(d.id);
    lastStatus.delete(d.id);
    lastStatus.set(d.id, d.status);
    if (lastStatus.size > 10_000) lastStatus.delete(lastStatus.keys().next().value as string);
    const reached = REACHED[d.status];
    if (reached && before !== d.status) push({ type: reached, payload: d });
  };

  const write = async (): Promise<void> => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await handle.writeTx(async (tx) => {
          for (const e of batch) await events.append(tx, e.type, e.payload);
        });
        // Committed: read it now rather than wait for NOTIFY (PostgreSQL), which comes through a
        // connection that may be reconnecting. The tailer folds the two wake-ups into one read.
        events.wake();
      } catch (error) {
        pending = [...batch, ...pending];
        options.log?.warn({ err: String(error) }, 'writing events to the log failed; will retry');
        if (!stopped) retry ??= setTimeout(() => ((retry = null), flushSoon()), retryMs);
        return;
      }
    }
  };

  const flushSoon = (): void => {
    if (writing || retry) return;
    writing = write().finally(() => {
      writing = null;
      if (pending.length > 0 && !retry && !stopped) flushSoon();
    });
  };

  // download.completed / download.failed are derived here, never taken from the bus: one source,
  // so a producer that emits them as well cannot make them appear twice.
  const offs = [
    bus.on('download.updated', onDownload),
    bus.on('provider.health', (p) => push({ type: 'provider.health', payload: p })),
    bus.on('provider.circuit', (p) => push({ type: 'provider.circuit', payload: p })),
  ];

  return {
    /** Resolves once everything emitted so far is committed to the log (or a write failed). */
    async flush(): Promise<void> {
      while (writing) await writing;
      if (pending.length > 0 && !retry) {
        flushSoon();
        await writing;
      }
    },
    /** Stops listening and writes what is still queued, one try. */
    async stop(): Promise<void> {
      for (const off of offs) off();
      stopped = true;
      if (retry) clearTimeout(retry);
      retry = null;
      while (writing) await writing;
      if (pending.length > 0) await write();
    },
  };
}

export type EventBridge = ReturnType<typeof createEventBridge>;
