import { createHash } from 'node:crypto';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventMap } from './event-bus.js';
import { createEventLogRepository, type EventRow } from './event-log.repository.js';
import { createPgListener, type PgListener } from './pg-listener.js';

/** The events that are durable: appended to the log, replayed and sent over SSE. */
export const LOGGED_EVENTS = [
  'download.updated',
  'download.progress',
  'download.completed',
  'download.failed',
  'album.updated',
  'album.completed',
  'downloads.changed',
  'provider.health',
  'provider.circuit',
  'quality-profile.changed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
  'batch.completed',
  'notification',
] as const satisfies readonly (keyof EventMap)[];

export type LoggedEventName = (typeof LOGGED_EVENTS)[number];

/** An event as the log holds it, payload parsed and typed by its name. */
export type LoggedEvent = {
  [K in LoggedEventName]: { id: number; type: K; payload: EventMap[K]; createdAt: number };
}[LoggedEventName];

/** An event to append: a logged event's name and its payload. */
export type LoggedEventInput = {
  [K in LoggedEventName]: { type: K; payload: EventMap[K] };
}[LoggedEventName];

/** An event as read from the table, payload still the JSON text (SSE sends it unparsed). */
export interface StoredEvent {
  id: number;
  type: string;
  data: string;
  createdAt: number;
}

/**
 * How long events are kept: whichever limit cuts more. Constants, not settings: a week covers a
 * client that was away over a weekend, 100,000 rows stay a small table on both engines.
 */
export const EVENT_RETENTION = { maxAgeMs: 7 * 24 * 3600_000, maxCount: 100_000 };

export interface EventLogOptions {
  handle: DatabaseHandle;
  now?: () => number;
  log?: { warn(obj: object, msg?: string): void };
  retention?: { maxAgeMs: number; maxCount: number };
  /** Trim on this timer (never on insert). Default 15 minutes. */
  trimEveryMs?: number;
  /**
   * Also read the log on this timer, in case a wake-up was lost (0 = never). Appends here wake
   * the tailer at once and NOTIFY wakes other processes, so this is only a safety net.
   */
  pollMs?: number;
  /** Rows per read, for the tailer and for replays. */
  pageSize?: number;
}

const known = new Set<string>(LOGGED_EVENTS);

/**
 * Runs inside every event-writing transaction, with the events just inserted, once the
 * append lock is held (the notification outbox writes its delivery jobs here, so they commit or
 * roll back with the change and its events). A hook that throws fails the whole transaction. It
 * must only write rows no transaction locks before appending (see `runHooks`).
 */
export type AppendHook = (tx: Db, batch: readonly LoggedEventInput[]) => Promise<void>;

/**
 * The event log service.
 * - `append(tx, type, payload)` writes an event inside the caller's write transaction (last in it,
 *   see the repository) and arranges that every process is woken once it commits.
 * - A tailer follows the table from the last id it delivered and hands each new event, in id
 *   order and once, to `subscribe` (raw, for SSE) and `onAppended` (typed) listeners, whichever
 *   process appended it.
 * - A timer trims by age and count.
 */
export function createEventLog(options: EventLogOptions) {
  const { handle } = options;
  const now = options.now ?? Date.now;
  const retention = options.retention ?? EVENT_RETENTION;
  const pageSize = options.pageSize ?? 500;
  const pollMs = options.pollMs ?? 5000;
  const repo = createEventLogRepository(handle.db);
  const channel = channelName(handle.schema);
  const rawListeners = new Set<(events: readonly StoredEvent[]) => void>();
  const typedListeners = new Set<(event: LoggedEvent) => void>();
  const hooks: AppendHook[] = [];
  // After the append lock (PostgreSQL), never before: a transaction may append more than once (a
  // batch command: `downloads.changed`, then its album events), so some hook work always comes
  // after the lock its first append took. Were the first append's hook run before the lock, a
  // transaction holding a waiting job's row would wait for the lock while the lock's holder waits
  // for that row (a deadlock, test/notifications-locks.test.ts). Under the lock, hooks run one
  // transaction at a time, and the rows they lock (jobs that have not started) are locked by no
  // one else but a claim, which skips them.
  const runHooks = async (tx: Db, batch: readonly LoggedEventInput[]): Promise<void> => {
    for (const hook of hooks) await hook(tx, batch);
  };

  let started = false;
  let position = 0;
  let tailing: Promise<void> | null = null;
  let again = false;
  let listener: PgListener | null = null;
  const timers: NodeJS.Timeout[] = [];

  const warn = (error: unknown, msg: string): void =>
    options.log?.warn({ err: error instanceof Error ? error.message : String(error) }, msg);

  const deliver = (rows: EventRow[]): void => {
    const events = rows.map(toStored);
    for (const fn of rawListeners) {
      try {
        fn(events);
      } catch (error) {
        warn(error, 'event listener failed');
      }
    }
    if (typedListeners.size === 0) return;
    for (const e of events) {
      if (!known.has(e.type)) continue; // written by a newer version: not ours to type
      const typed = {
        id: e.id,
        type: e.type,
        payload: JSON.parse(e.data) as unknown,
        createdAt: e.createdAt,
      } as LoggedEvent;
      for (const fn of typedListeners) {
        try {
          fn(typed);
        } catch (error) {
          warn(error, 'event listener failed');
        }
      }
    }
  };

  // One read loop at a time: `position` only moves forward and every event is delivered once.
  const tail = async (): Promise<void> => {
    do {
      again = false;
      let rows: EventRow[];
      do {
        rows = await repo.after(position, pageSize);
        const last = rows.at(-1);
        if (!last) break;
        position = last.id;
        deliver(rows);
      } while (rows.length === pageSize && started);
    } while (again && started);
  };

  const wake = (): void => {
    if (!started) return;
    if (tailing) {
      again = true;
      return;
    }
    tailing = tail()
      .catch((error: unknown) => warn(error, 'reading the event log failed'))
      .finally(() => {
        tailing = null;
        // A wake that came in while the last read was already past the database gets its read.
        if (again) wake();
      });
  };

  const trim = async (): Promise<number> => {
    const byAge = await repo.trimOlderThan(now() - retention.maxAgeMs);
    const byCount = await repo.trimToCount(retention.maxCount);
    return byAge + byCount;
  };

  return {
    /**
     * Appends an event inside the caller's write transaction and returns its id. Call it after
     * the transaction's other writes: on PostgreSQL it takes the append lock, which other
     * event-writing transactions wait for until this one commits (taking row locks after it
     * could deadlock against them). Nothing is delivered if the transaction rolls back.
     */
    async append<K extends LoggedEventName>(
      tx: Db,
      type: K,
      payload: EventMap[K],
    ): Promise<number> {
      const row = { type, payload: JSON.stringify(payload), created_at: now() };
      if (handle.dialect === 'postgres') {
        // Lock, insert and NOTIFY (delivered at commit to every process's listener, this one's
        // included) in one round trip.
        const [id] = await repo.lockInsertNotify(tx, [row], channel);
        if (hooks.length > 0) await runHooks(tx, [{ type, payload } as LoggedEventInput]);
        return id as number;
      }
      const id = await repo.insert(tx, row);
      if (hooks.length > 0) await runHooks(tx, [{ type, payload } as LoggedEventInput]);
      // SQLite has one connection and the transaction holds it: the read this starts queues
      // behind the commit (or rollback), so it sees exactly what was committed.
      wake();
      return id;
    },

    /**
     * `append` for many events of one transaction, in order: one lock, one multi-row insert, one
     * wake-up (a bulk accept writes thousands; one statement each would cost a round trip each).
     */
    async appendMany(tx: Db, batch: readonly LoggedEventInput[]): Promise<number[]> {
      if (batch.length === 0) return [];
      const t = now();
      const rows = batch.map((e) => ({
        type: e.type,
        payload: JSON.stringify(e.payload),
        created_at: t,
      }));
      const ids =
        handle.dialect === 'postgres'
          ? await repo.lockInsertNotify(tx, rows, channel)
          : await repo.insertMany(tx, rows);
      if (hooks.length > 0) await runHooks(tx, batch);
      if (handle.dialect !== 'postgres') wake();
      return ids;
    },

    /** Adds a hook run in every event-writing transaction (AppendHook). */
    addAppendHook(hook: AppendHook): void {
      hooks.push(hook);
    },

    /** Raw events (JSON text) in id order, as the tailer reads them. Returns an unsubscribe. */
    subscribe(fn: (events: readonly StoredEvent[]) => void): () => void {
      rawListeners.add(fn);
      return () => rawListeners.delete(fn);
    },

    /**
     * Every event appended from now on, by any process, in id order, once. For in-process modules
     * that must react to a change made elsewhere (a runner woken by another process's command).
     */
    onAppended(fn: (event: LoggedEvent) => void): () => void {
      typedListeners.add(fn);
      return () => typedListeners.delete(fn);
    },

    /** The highest id delivered to listeners: everything up to it is committed and readable. */
    get position(): number {
      return position;
    },

    /** Up to a page of events after `afterId` (replays). */
    async read(afterId: number): Promise<StoredEvent[]> {
      return (await repo.after(afterId, pageSize)).map(toStored);
    },

    bounds: () => repo.bounds(),

    /** Reads the log now (after a local commit the caller knows of). */
    wake,

    /** Trims by age, then by count; returns the rows deleted. */
    trim,

    /** Starts at the newest event: listeners get what is appended from now on. */
    async start(): Promise<void> {
      position = (await repo.bounds()).latest ?? 0;
      started = true;
      if (handle.dialect === 'postgres' && handle.newConnection) {
        const connect = handle.newConnection;
        listener = createPgListener({
          connect: () => connect('soulspot-events'),
          channel,
          onNotify: wake,
          onListening: wake,
          ...(options.log ? { log: options.log } : {}),
        });
        await listener.start();
      }
      if (pollMs > 0) timers.push(setInterval(wake, pollMs));
      const runTrim = (): Promise<void> =>
        trim().then(
          () => undefined,
          (error: unknown) => warn(error, 'trimming failed'),
        );
      // The first trim is awaited: one still running after start() would race the first
      // appends and delete what they just wrote by count.
      await runTrim();
      timers.push(setInterval(() => void runTrim(), options.trimEveryMs ?? 15 * 60_000));
    },

    /** How many times the LISTEN connection was set up (PostgreSQL; tests follow reconnects). */
    get listenConnections(): number {
      return listener?.connections ?? 0;
    },

    async stop(): Promise<void> {
      started = false;
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      await listener?.stop();
      listener = null;
      await tailing;
    },
  };
}

export type EventLog = ReturnType<typeof createEventLog>;

function toStored(row: EventRow): StoredEvent {
  return { id: Number(row.id), type: row.type, data: row.payload, createdAt: row.created_at };
}

/**
 * The NOTIFY channel: one per schema, so test schemas sharing a database do not wake each other.
 * PostgreSQL channel names are identifiers (at most 63 bytes): a long schema name is hashed.
 */
export function channelName(schema: string | undefined): string {
  if (!schema) return 'soulspot_events';
  const name = `soulspot_events_${schema}`;
  return name.length <= 63
    ? name
    : `soulspot_events_${createHash('sha256').update(schema).digest('hex').slice(0, 32)}`;
}
