import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { createEventLog, type EventLog, type StoredEvent } from '../src/events/event-log.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { until } from './helpers/sse.js';

const onPostgres = testDialects().includes('postgres');
const PER_WRITER = 150;

/**
 * A sequence hands out ids at insert but rows become visible at commit: without care a reader of
 * "id > last seen" skips an event whose transaction commits after a later id's. Two writers (two
 * connections pools, as two processes would have) race many transactions, some of them sleeping
 * between their insert and their commit; a tailer in a third "process" and a replay paging the
 * table meanwhile must each see every event exactly once, in id order.
 */
describe.runIf(onPostgres)('event ids on PostgreSQL become visible in id order', () => {
  let db: TestDb;
  const handles: DatabaseHandle[] = [];
  const logs: EventLog[] = [];

  beforeAll(async () => {
    db = await freshDb('postgres');
  });
  afterAll(async () => {
    for (const log of logs) await log.stop();
    for (const h of handles) await h.close();
    await db.cleanup();
  });

  it('two concurrent writers, slow commits: tailers and a replay see every event once, in order', async () => {
    const url = process.env.SOULSPOT_TEST_PG_URL as string;
    const open = async (): Promise<{ handle: DatabaseHandle; log: EventLog }> => {
      const handle = await openDatabase({ url, pgSchema: db.schema!, poolSize: 4 });
      // pollMs 0: what the tailer sees it was woken to read by NOTIFY, mid-race.
      const log = createEventLog({ handle, pollMs: 0, pageSize: 50 });
      await log.start();
      handles.push(handle);
      logs.push(log);
      return { handle, log };
    };
    const writers = [await open(), await open()];
    const reader = await open();
    const tailed = new Map<EventLog, StoredEvent[]>();
    for (const { log } of [...writers, reader]) {
      const list: StoredEvent[] = [];
      tailed.set(log, list);
      log.subscribe((batch) => list.push(...batch));
    }

    let writing = true;
    const replayed: StoredEvent[] = [];
    const replay = (async () => {
      // Pages through the table while the writers run, as an SSE client catching up would.
      let cursor = 0;
      for (;;) {
        const stillWriting = writing;
        const page = await reader.log.read(cursor);
        for (const e of page) {
          replayed.push(e);
          cursor = e.id;
        }
        if (page.length === 0 && !stillWriting) return;
        await new Promise((r) => setTimeout(r, 1));
      }
    })();

    const run = async (w: number): Promise<void> => {
      const { handle, log } = writers[w]!;
      for (let i = 0; i < PER_WRITER; i++) {
        await handle.writeTx(async (tx) => {
          await log.append(tx, 'provider.health', {
            provider: `writer-${w}`,
            state: 'up',
            message: String(i),
          });
          // Every fourth transaction holds its id uncommitted for a while.
          if (i % 4 === w) await new Promise((r) => setTimeout(r, 5 + ((i * 7) % 20)));
        });
      }
    };
    await Promise.all([run(0), run(1)]);
    writing = false;
    await replay;

    const all = await reader.handle.db.selectFrom('events').select('id').orderBy('id').execute();
    const ids = all.map((r) => Number(r.id));
    expect(ids.length).toBe(2 * PER_WRITER);
    // No transaction rolled back, so the ids themselves have no holes.
    expect(ids.at(-1)! - ids[0]! + 1).toBe(ids.length);

    for (const [log, list] of tailed) {
      await until(
        () => log.position === ids.at(-1),
        30_000,
        () => `at ${log.position}`,
      );
      expect(list.map((e) => e.id)).toEqual(ids);
    }
    expect(replayed.map((e) => e.id)).toEqual(ids);
    // Each writer's own events arrive in the order it wrote them.
    for (const w of [0, 1]) {
      const messages = replayed
        .map((e) => JSON.parse(e.data) as { provider: string; message: string })
        .filter((p) => p.provider === `writer-${w}`)
        .map((p) => Number(p.message));
      expect(messages).toEqual([...Array(PER_WRITER).keys()]);
    }
  });
});
