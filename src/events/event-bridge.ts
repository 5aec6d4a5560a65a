import type { DatabaseHandle } from '../db/database.js';
import type { EventBus, EventMap } from './event-bus.js';
import type { EventLog } from './event-log.js';

/** The events that have no transaction of their own to be appended in. */
type BridgedName =
  'provider.health' | 'provider.circuit' | 'provider.offline' | 'provider.online' | 'disk.low';
type Pending = { [K in BridgedName]: { type: K; payload: EventMap[K] } }[BridgedName];

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

/**
 * Copies the provider's state changes from the bus into the log: the health monitor and the
 * circuit breaker change no row, so there is no transaction to append them in. (Download events
 * are appended by their producers inside the write they report: download.job.ts, the services.)
 * It writes whatever has queued up in one small transaction at a time, in the order emitted. An
 * event emitted just before a crash can be lost here; the next probe reports the state again.
 */
export function createEventBridge(options: EventBridgeOptions) {
  const { bus, events, handle } = options;
  const retryMs = options.retryMs ?? 1000;
  const maxPending = options.maxPending ?? 10_000;
  let pending: Pending[] = [];
  let writing: Promise<void> | null = null;
  let retry: NodeJS.Timeout | null = null;
  let stopped = false;

  const push = (event: Pending): void => {
    pending.push(event);
    if (pending.length > maxPending) {
      pending.splice(0, pending.length - maxPending);
      options.log?.warn({ maxPending }, 'event log unwritable; oldest events dropped');
    }
    flushSoon();
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

  const offs = [
    bus.on('provider.health', (p) => push({ type: 'provider.health', payload: p })),
    bus.on('provider.circuit', (p) => push({ type: 'provider.circuit', payload: p })),
    bus.on('provider.offline', (p) => push({ type: 'provider.offline', payload: p })),
    bus.on('provider.online', (p) => push({ type: 'provider.online', payload: p })),
    bus.on('disk.low', (p) => push({ type: 'disk.low', payload: p })),
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
