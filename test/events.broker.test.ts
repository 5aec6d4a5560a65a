import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventLog, type EventLog } from '../src/events/event-log.js';
import { createSseBroker, type SseClient } from '../src/events/sse.broker.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { until } from './helpers/sse.js';

/** A client that records the ids it was sent; `full` makes its socket buffer look full. */
function recorder(options: { full?: boolean } = {}) {
  const ids: number[] = [];
  let ended = false;
  let drainedCalls = 0;
  const client: SseClient = {
    write: (text) => {
      const m = /^id: (\d+)\nevent: ([^\n]+)\n/.exec(text);
      if (m && m[2] !== 'reset') ids.push(Number(m[1]));
      return !options.full;
    },
    drained: () => {
      drainedCalls++;
      return new Promise((r) => setTimeout(r, 1));
    },
    get buffered() {
      return options.full ? Number.MAX_SAFE_INTEGER : 0;
    },
    end: () => {
      ended = true;
    },
  };
  return {
    client,
    ids,
    get ended() {
      return ended;
    },
    get drainedCalls() {
      return drainedCalls;
    },
  };
}

describe.each(testDialects())('SSE broker over the event log on %s', (dialect) => {
  let db: TestDb;
  let log: EventLog;

  beforeEach(async () => {
    db = await freshDb(dialect);
    // Small pages: a replay takes many reads, interleaved with live events.
    log = createEventLog({ handle: db, pollMs: 0, pageSize: 4 });
    await log.start();
  });
  afterEach(async () => {
    await log.stop();
    await db.cleanup();
  });

  const append = (i: number) =>
    db.writeTx((tx) =>
      log.append(tx, 'provider.health', { provider: 'slskd', state: 'up', message: String(i) }),
    );

  it('hands a replaying client over to the live stream without a gap or a repeat', async () => {
    const broker = createSseBroker({ events: log });
    const written: number[] = [];
    for (let i = 0; i < 20; i++) written.push(await append(i));
    const clients: { from: number | undefined; r: ReturnType<typeof recorder> }[] = [];
    // Clients arrive while events keep being written, each from a different point.
    for (let i = 20; i < 80; i++) {
      const id = await append(i);
      written.push(id);
      if (i % 10 === 0) {
        const from = i % 20 === 0 ? written[i - 15] : undefined;
        const r = recorder();
        broker.attach(r.client, from);
        clients.push({ from, r });
      }
    }
    const last = written.at(-1)!;
    for (const { from, r } of clients) {
      await until(
        () => r.ids.at(-1) === last,
        30_000,
        () => `got ${r.ids.join(',')}`,
      );
      if (from !== undefined) {
        expect(r.ids).toEqual(written.filter((id) => id > from));
      } else {
        // Without Last-Event-ID: everything from when it attached on, contiguous.
        expect(r.ids).toEqual(written.slice(written.indexOf(r.ids[0]!)));
      }
    }
    broker.close();
    expect(clients.every(({ r }) => r.ended)).toBe(true);
  });

  it('waits for a full socket during a replay and cuts off a live client that does not read', async () => {
    const broker = createSseBroker({ events: log, maxBufferedBytes: 1024 });
    let lastId = 0;
    for (let i = 0; i < 10; i++) lastId = await append(i);
    // The tailer has read them all: the whole replay comes from the table (with a wait for the
    // full socket after each write), none of it from the live fan-out.
    await until(() => log.position === lastId);
    const slow = recorder({ full: true });
    broker.attach(slow.client, 0);
    await until(() => slow.ids.length === 10);
    expect(slow.drainedCalls).toBe(10);
    expect(slow.ended).toBe(false);
    // Live soon: an event committed while the replay looks for more is still replayed (and
    // waited for), so write until one arrives live; its buffer still looks full, so that one ends
    // the stream.
    for (let i = 10; i < 15 && !slow.ended; i++) {
      const before = slow.ids.length;
      await append(i);
      await until(() => slow.ended || slow.ids.length > before);
    }
    expect(slow.ended).toBe(true);
    expect(broker.clientCount).toBe(0);
    broker.close();
  });
});
