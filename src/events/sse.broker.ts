import type { EventLog, StoredEvent } from './event-log.js';

/** One SSE connection as the broker sees it (the route adapts the HTTP response to this). */
export interface SseClient {
  /** Writes text; false when the socket's buffer is full (wait for `drained`). */
  write(text: string): boolean;
  /** Resolves when the buffer has room again or the connection has closed. */
  drained(): Promise<void>;
  /** Bytes queued and not yet sent. */
  readonly buffered: number;
  /** Ends the stream; an EventSource reconnects with Last-Event-ID and replays from the log. */
  end(): void;
}

export interface SseBrokerOptions {
  events: EventLog;
  /** A live client with more than this queued is cut off; it reconnects and replays. */
  maxBufferedBytes?: number;
  log?: { warn(obj: object, msg?: string): void };
}

interface Attached {
  client: SseClient;
  /** Highest id sent to this client. */
  cursor: number;
  /** Caught up: the tailer's fan-out sends to it. Before that it reads the table itself. */
  live: boolean;
  closed: boolean;
}

/**
 * The SSE broker, served only from the event log. A client that gives a Last-Event-ID first reads
 * what it missed from the table (any process may have written it, before or after a restart),
 * then joins the live fan-out of the log's tailer; its own cursor means nothing is sent twice.
 * A client whose last id the log no longer holds gets `event: reset`: reload state, then follow.
 */
export function createSseBroker(options: SseBrokerOptions) {
  const { events } = options;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const clients = new Set<Attached>();
  let closed = false;

  const detach = (a: Attached): void => {
    a.closed = true;
    clients.delete(a);
  };

  const fanOut = (batch: readonly StoredEvent[]): void => {
    for (const a of clients) {
      if (!a.live) continue;
      for (const e of batch) {
        if (e.id <= a.cursor) continue;
        a.client.write(format(e));
        a.cursor = e.id;
      }
      if (a.client.buffered > maxBuffered) {
        // A slow reader must not hold the process's memory: it can resume from the log.
        detach(a);
        a.client.end();
      }
    }
  };
  const unsubscribe = events.subscribe(fanOut);

  const send = async (a: Attached, text: string): Promise<void> => {
    if (!a.client.write(text)) await a.client.drained();
  };

  const catchUp = async (a: Attached, lastEventId: number | undefined): Promise<void> => {
    if (lastEventId === undefined) {
      a.cursor = events.position;
      a.live = true;
      return;
    }
    const bounds = await events.bounds();
    if (a.closed) return;
    a.cursor = lastEventId;
    if (needsReset(lastEventId, bounds)) {
      a.cursor = bounds.latest ?? 0;
      await send(a, resetMessage(a.cursor, lastEventId, bounds.oldest));
    }
    for (;;) {
      if (a.closed) return;
      // Checked and switched in one synchronous step: every event the tailer delivers after this
      // has a higher id than its position, so the client gets it live; everything up to it the
      // client has read from the table.
      if (a.cursor >= events.position) {
        a.live = true;
        return;
      }
      const page = await events.read(a.cursor);
      if (a.closed) return;
      const first = page[0];
      // A jump in ids is usually a rolled-back transaction; it is a loss only if a trim ran while
      // this client was reading an old stretch (the oldest kept event is then past its cursor).
      if (!first || first.id > a.cursor + 1) {
        const { oldest } = await events.bounds();
        if (a.closed) return;
        if (!first || oldest === null || oldest > a.cursor + 1) {
          const from = a.cursor;
          a.cursor = events.position;
          await send(a, resetMessage(a.cursor, from, oldest));
          continue;
        }
      }
      for (const e of page) {
        await send(a, format(e));
        a.cursor = e.id;
        if (a.closed) return;
      }
    }
  };

  return {
    /** Adds a client; with the last id it saw, it first gets everything after it. */
    attach(client: SseClient, lastEventId?: number): () => void {
      if (closed) {
        // Shutting down: a stream opened now would keep the server from closing.
        client.end();
        return () => undefined;
      }
      const a: Attached = { client, cursor: 0, live: false, closed: false };
      clients.add(a);
      catchUp(a, lastEventId).catch((error: unknown) => {
        options.log?.warn({ err: String(error) }, 'SSE replay failed');
        detach(a);
        client.end();
      });
      return () => detach(a);
    },
    heartbeat(): void {
      for (const a of clients) a.client.write(`: heartbeat ${Date.now()}\n\n`);
    },
    get clientCount(): number {
      return clients.size;
    },
    /** Ends every stream (clients reconnect to whichever process serves them next). */
    close(): void {
      closed = true;
      unsubscribe();
      for (const a of [...clients]) {
        detach(a);
        a.client.end();
      }
    },
  };
}

export type SseBroker = ReturnType<typeof createSseBroker>;

/**
 * Whether a client that saw `lastEventId` may have missed events the log no longer holds.
 * Trimming removes a prefix and never the newest event, so events after `lastEventId` are all
 * there when lastEventId + 1 ≥ oldest. An id above the newest, or any id while the log is empty,
 * comes from another log (a database that was replaced): the client's state is not ours either.
 * A rolled-back transaction can leave a hole just below `oldest`; the worst it causes is a reset
 * that was not needed, never a silent gap.
 */
export function needsReset(
  lastEventId: number,
  bounds: { oldest: number | null; latest: number | null },
): boolean {
  if (bounds.latest === null || bounds.oldest === null) return lastEventId > 0;
  return lastEventId > bounds.latest || lastEventId + 1 < bounds.oldest;
}

function format(e: StoredEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${e.data}\n\n`;
}

function resetMessage(id: number, lastEventId: number, oldest: number | null): string {
  const data = JSON.stringify({ lastEventId, oldestEventId: oldest, resumeFrom: id });
  return `id: ${id}\nevent: reset\ndata: ${data}\n\n`;
}
