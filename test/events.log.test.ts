import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import type { DownloadRow } from '../src/downloads/download.repository.js';
import { toDownloadDto, type DownloadDto } from '../src/downloads/download.dto.js';
import { createEventBridge } from '../src/events/event-bridge.js';
import { createEventBus } from '../src/events/event-bus.js';
import {
  channelName,
  createEventLog,
  type EventLog,
  type LoggedEvent,
} from '../src/events/event-log.js';
import { createEventLogRepository } from '../src/events/event-log.repository.js';
import { downloadRow } from './helpers/factories.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { until } from './helpers/sse.js';

const DAY = 86_400_000;
const T0 = 1_800_000_000_000;

const health = (message: string) => ({ provider: 'slskd', state: 'up', message }) as const;

function dto(status: DownloadStatus, id?: string): DownloadDto {
  const row = {
    ...downloadRow({ status, next_retry_at: null, completed_at: null }),
    ...(id ? { id } : {}),
  } as DownloadRow;
  return toDownloadDto(row, []);
}

describe.each(testDialects())('event log on %s', (dialect) => {
  let db: TestDb;
  let clock: number;
  const logs: EventLog[] = [];
  const start = async (
    handle: DatabaseHandle,
    extra: Partial<Parameters<typeof createEventLog>[0]> = {},
  ): Promise<EventLog> => {
    // No safety poll: delivery must come from the local wake-up or NOTIFY alone.
    const log = createEventLog({ handle, now: () => clock, pollMs: 0, ...extra });
    await log.start();
    logs.push(log);
    return log;
  };
  const append = (log: EventLog, message: string, handle: DatabaseHandle = db) =>
    handle.writeTx((tx) => log.append(tx, 'provider.health', health(message)));

  beforeEach(async () => {
    db = await freshDb(dialect);
    clock = T0;
  });
  afterEach(async () => {
    for (const log of logs.splice(0)) await log.stop();
    await db.cleanup();
  });

  it('delivers committed events once, in id order, and never a rolled-back one', async () => {
    const log = await start(db);
    const seen: LoggedEvent[] = [];
    log.onAppended((e) => seen.push(e));
    const first = await append(log, 'one');
    await expect(
      db.writeTx(async (tx) => {
        await log.append(tx, 'provider.health', health('rolled back'));
        throw new Error('abort the transaction');
      }),
    ).rejects.toThrow('abort');
    const third = await append(log, 'three');
    await until(() => seen.length >= 2);
    expect(seen.map((e) => [e.id, e.type, e.payload])).toEqual([
      [first, 'provider.health', health('one')],
      [third, 'provider.health', health('three')],
    ]);
    expect(third).toBeGreaterThan(first);
    expect(log.position).toBe(third);
    // A restart on the same data starts after what is there: nothing is delivered again.
    await log.stop();
    const again = await start(db);
    const later: LoggedEvent[] = [];
    again.onAppended((e) => later.push(e));
    const fourth = await append(again, 'four');
    await until(() => later.length >= 1);
    expect(later.map((e) => e.id)).toEqual([fourth]);
  });

  it('trims by age and by count, as a prefix, and never the newest event', async () => {
    const log = await start(db, { retention: { maxAgeMs: 7 * DAY, maxCount: 4 } });
    const repo = createEventLogRepository(db.db);
    for (let i = 0; i < 6; i++) await append(log, `old ${i}`);
    clock = T0 + 8 * DAY;
    const fresh = [];
    for (let i = 0; i < 2; i++) fresh.push(await append(log, `fresh ${i}`));
    expect(await log.trim()).toBe(6);
    expect((await repo.after(0, 100)).map((r) => r.id)).toEqual(fresh);

    for (let i = 0; i < 5; i++) fresh.push(await append(log, `more ${i}`));
    expect(await log.trim()).toBe(3);
    expect((await repo.after(0, 100)).map((r) => r.id)).toEqual(fresh.slice(-4));

    // Everything is old now: one event stays, so a client from before can still be told.
    clock += 30 * DAY;
    expect(await log.trim()).toBe(3);
    expect(await log.bounds()).toEqual({ oldest: fresh.at(-1), latest: fresh.at(-1) });
    // And ids are never handed out again after a trim.
    expect(await append(log, 'next')).toBeGreaterThan(fresh.at(-1)!);
  });

  it('trims on its timer, not only when asked', async () => {
    const log = await start(db, {
      retention: { maxAgeMs: 7 * DAY, maxCount: 2 },
      trimEveryMs: 50,
    });
    for (let i = 0; i < 6; i++) await append(log, `e${i}`);
    const repo = createEventLogRepository(db.db);
    await until(async () => (await repo.after(0, 100)).length === 2);
  });

  it('bridges only the provider events from the bus, in order; download events stay off it', async () => {
    const log = await start(db);
    const bus = createEventBus();
    const bridge = createEventBridge({ bus, events: log, handle: db });
    const seen: LoggedEvent[] = [];
    log.onAppended((e) => seen.push(e));
    bus.emit('provider.health', health('first'));
    // Workers append their download events in their own transactions; the bus copy is for
    // in-process listeners, and writing it here too would put every change in the log twice.
    for (const status of ['downloading', 'completed', 'failed'] as DownloadStatus[])
      bus.emit('download.updated', dto(status));
    bus.emit('provider.circuit', { provider: 'slskd', circuit: 'open' });
    bus.emit('provider.health', health('second'));
    await bridge.flush();
    await until(() => seen.length >= 3);
    await append(log, 'marker');
    await until(() => seen.length >= 4);
    expect(seen.map((e) => e.type)).toEqual([
      'provider.health',
      'provider.circuit',
      'provider.health',
      'provider.health',
    ]);
    expect(seen.map((e) => e.payload)).toEqual([
      health('first'),
      { provider: 'slskd', circuit: 'open' },
      health('second'),
      health('marker'),
    ]);
    const ids = seen.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    await bridge.stop();
    // After stop nothing more reaches the log.
    bus.emit('provider.circuit', { provider: 'slskd', circuit: 'closed' });
    await append(log, 'marker 2');
    await until(() => seen.length >= 5);
    expect(seen.slice(4).map((e) => e.payload)).toEqual([health('marker 2')]);
  });

  // PostgreSQL only (NOTIFY); registered only there, so the SQLite run does not report a skip.
  if (dialect === 'postgres')
    it('wakes another process by NOTIFY, and listens again after its connection is killed', async () => {
      const url = process.env.SOULSPOT_TEST_PG_URL as string;
      const other = await openDatabase({ url, pgSchema: db.schema!, poolSize: 2 });
      try {
        const writer = await start(other);
        const reader = await start(db);
        const seen: LoggedEvent[] = [];
        reader.onAppended((e) => seen.push(e));
        await append(writer, 'before', other);
        await until(() => seen.length === 1);

        // Kill the reader's LISTEN session from outside, as an admin or a restart would.
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        const killed = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'soulspot-events' AND query = $1`,
          [`LISTEN "${channelName(db.schema)}"`],
        );
        await admin.end();
        expect(killed.rowCount).toBe(2); // the writer's and the reader's: both must come back
        // Committed while nobody listens: the reconnect reads the log, so it is not lost.
        await append(writer, 'while down', other);
        await until(() => reader.listenConnections >= 2 && writer.listenConnections >= 2);
        await append(writer, 'after', other);
        await until(() => seen.length >= 3);
        expect(seen.map((e) => e.type === 'provider.health' && e.payload.message)).toEqual([
          'before',
          'while down',
          'after',
        ]);
      } finally {
        for (const log of logs.splice(0)) await log.stop();
        await other.close();
      }
    });
});
