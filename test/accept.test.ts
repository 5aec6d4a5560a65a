import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAcceptRepository } from '../src/downloads/accept.repository.js';
import { createGroupCommit } from '../src/downloads/accept-batcher.js';
import { acceptRows, newDownloadRow } from '../src/downloads/accept.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { createEventLog } from '../src/events/event-log.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

/**
 * The accept path at scale: concurrent accepts sharing a commit (each answered only after its own
 * row is committed, with its event), the maxQueueSize limit, and POST /api/downloads/bulk.
 */
describe.each(testDialects())('accepting downloads (%s)', (dialect) => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });
  beforeEach(async () => {
    await server.soulspot.settings.update({ maxQueueSize: 0 });
    await server.soulspot.db.db.deleteFrom('downloads').execute();
  });

  const post = (url: string, body: unknown) =>
    server.app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const track = (i: number, extra: object = {}) => ({
    artist: `Accept Artist ${i % 7}`,
    title: `Accept Title ${i}`,
    ...extra,
  });
  /** The download.updated events the log holds for a download, oldest first. */
  const eventsFor = async (id: string): Promise<DownloadDto[]> => {
    const rows = await server.soulspot.db.db
      .selectFrom('events')
      .select(['payload'])
      .where('type', '=', 'download.updated')
      .orderBy('id')
      .execute();
    return rows.map((r) => JSON.parse(r.payload) as DownloadDto).filter((d) => d.id === id);
  };

  it('lets concurrent accepts share commits; each is answered with its row and event committed', async () => {
    const before = { ...server.soulspot.downloads.acceptStats };
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => post('/api/downloads', track(i))),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(responses.map(() => 201));
    const ids = responses.map((r) => r.json<DownloadDto>().id);
    expect(new Set(ids).size).toBe(60);
    const stats = server.soulspot.downloads.acceptStats;
    // Fewer transactions than requests: some commit held several accepts.
    expect(stats.items - before.items).toBe(60);
    expect(stats.batches - before.batches).toBeLessThan(60);
    // Committed before the answer, with its event in the same transaction (the bridge, which
    // writes after the fact, is not involved).
    const rows = await server.soulspot.db.db
      .selectFrom('downloads')
      .select('id')
      .where('id', 'in', ids)
      .execute();
    expect(rows).toHaveLength(60);
    for (const id of ids.slice(0, 5))
      expect((await eventsFor(id)).map((d) => d.status)).toEqual(['waiting']);
  });

  it('creates one download for concurrent requests of the same track', async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => post('/api/downloads', track(1))),
    );
    const codes = responses.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(11);
    expect(new Set(responses.map((r) => r.json<DownloadDto>().id)).size).toBe(1);
    const [{ n }] = (await server.soulspot.db.db
      .selectFrom('downloads')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .execute()) as [{ n: number }];
    expect(Number(n)).toBe(1);
  });

  it('refuses a new download beyond maxQueueSize with 429, but still answers duplicates', async () => {
    await server.soulspot.settings.update({ maxQueueSize: 3 });
    for (let i = 0; i < 3; i++)
      expect((await post('/api/downloads', track(i))).statusCode).toBe(201);
    const refused = await post('/api/downloads', track(99));
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(
        /^The queue holds 3 unfinished downloads, the most maxQueueSize allows; /,
      ) as unknown,
    });
    // The track asked for again is not a new download: the existing one is answered.
    expect((await post('/api/downloads', track(0))).statusCode).toBe(200);
    // Concurrent requests cannot slip past the limit together.
    await server.soulspot.settings.update({ maxQueueSize: 10 });
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => post('/api/downloads', track(100 + i))),
    );
    expect(burst.filter((r) => r.statusCode === 201)).toHaveLength(7);
    expect(burst.filter((r) => r.statusCode === 429)).toHaveLength(13);
    // A finished download frees its place.
    const first = (await post('/api/downloads', track(0))).json<DownloadDto>();
    const cancel = await server.app.inject({
      method: 'DELETE',
      url: `/api/downloads/${first.id}`,
      headers: { 'x-api-key': API_KEY },
    });
    expect(cancel.statusCode).toBe(200);
    expect((await post('/api/downloads', track(99))).statusCode).toBe(201);
  });

  it('accepts a bulk request across transactions: existing and repeated tracks reported, order kept', async () => {
    const existing = (await post('/api/downloads', track(5))).json<DownloadDto>();
    // 2,500 items span three transactions; item 2,200 repeats item 10 across them.
    const items = Array.from({ length: 2500 }, (_, i) =>
      i === 2200 ? track(10) : i === 7 ? track(5) : track(i, { album: 'Bulk' }),
    );
    items[10] = track(10);
    items[11] = track(10);
    const res = await post('/api/downloads/bulk', { items });
    expect(res.statusCode).toBe(200);
    type Item = { index: number; result: string; id: string | null; duplicateOf?: number };
    const body = res.json<{
      created: number;
      existing: number;
      duplicate: number;
      rejected: number;
      items: Item[];
    }>();
    expect(body).toMatchObject({ created: 2497, existing: 1, duplicate: 2, rejected: 0 });
    expect(body.items).toHaveLength(2500);
    expect(body.items[7]).toMatchObject({ index: 7, result: 'existing', id: existing.id });
    expect(body.items[11]).toMatchObject({
      result: 'duplicate',
      duplicateOf: 10,
      id: body.items[10]?.id,
    });
    expect(body.items[2200]).toMatchObject({
      result: 'duplicate',
      duplicateOf: 10,
      id: body.items[10]?.id,
    });
    const createdIds = body.items.filter((i) => i.result === 'created').map((i) => i.id as string);
    // The queue runs them in the order sent.
    const rows = await server.soulspot.db.db
      .selectFrom('downloads')
      .select(['id', 'position'])
      .where('album', '=', 'Bulk')
      .execute();
    const position = new Map(rows.map((r) => [r.id, r.position]));
    const bulkIds = createdIds.filter((id) => position.has(id));
    expect(bulkIds.length).toBe(2496);
    const sorted = [...bulkIds].sort((a, b) =>
      (position.get(a) as string) < (position.get(b) as string) ? -1 : 1,
    );
    expect(sorted).toEqual(bulkIds);
    // One event per created download, written with it.
    const events = await server.soulspot.db.db
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('type', '=', 'download.updated')
      .where('payload', 'like', '%"album":"Bulk"%')
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(2496);
  });

  it('takes 10,000 tracks in one request and refuses 10,001', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => track(i, { album: 'Ten thousand' }));
    const res = await post('/api/downloads/bulk', { items });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ created: number }>().created).toBe(10_000);
    const over = await post('/api/downloads/bulk', { items: [...items, track(10_000)] });
    expect(over.statusCode).toBe(400);
    expect(over.json<{ message: string }>().message).toMatch(/^body\/items/);
    expect((await post('/api/downloads/bulk', { items: [] })).statusCode).toBe(400);
    expect(
      (await post('/api/downloads/bulk', { items: [{ artist: 'A', title: 'B', x: 1 }] }))
        .statusCode,
    ).toBe(400);
  });

  it('fills a bulk request up to maxQueueSize and refuses it with 429 when nothing fits', async () => {
    await server.soulspot.settings.update({ maxQueueSize: 5 });
    expect((await post('/api/downloads', track(0))).statusCode).toBe(201);
    const res = await post('/api/downloads/bulk', {
      items: Array.from({ length: 8 }, (_, i) => track(i)),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      created: number;
      existing: number;
      rejected: number;
      items: { result: string; id: string | null }[];
    }>();
    expect(body).toMatchObject({ created: 4, existing: 1, rejected: 3 });
    expect(body.items.slice(5).map((i) => [i.result, i.id])).toEqual([
      ['rejected', null],
      ['rejected', null],
      ['rejected', null],
    ]);
    const full = await post('/api/downloads/bulk', { items: [track(50)] });
    expect(full.statusCode).toBe(429);
    expect(full.json<{ message: string }>().message).toMatch(/^The queue holds 5 unfinished/);
  });

  it('writes the events of cancel and retry in their own transactions', async () => {
    const created = (await post('/api/downloads', track(3))).json<DownloadDto>();
    const headers = { 'x-api-key': API_KEY };
    const cancel = await server.app.inject({
      method: 'DELETE',
      url: `/api/downloads/${created.id}`,
      headers,
    });
    expect(cancel.statusCode).toBe(200);
    // Already in the log when the answer comes, not copied there afterwards.
    expect((await eventsFor(created.id)).map((d) => d.status)).toEqual(['waiting', 'cancelled']);
    const retry = await server.app.inject({
      method: 'POST',
      url: `/api/downloads/${created.id}/retry`,
      headers,
    });
    expect(retry.statusCode).toBe(200);
    expect((await eventsFor(created.id)).map((d) => d.status)).toEqual([
      'waiting',
      'cancelled',
      'waiting',
    ]);
    // A refused command writes no event.
    const again = await server.app.inject({
      method: 'POST',
      url: `/api/downloads/${created.id}/retry`,
      headers,
    });
    expect(again.statusCode).toBe(409);
    expect(await eventsFor(created.id)).toHaveLength(3);
  });
});

describe.each(testDialects())('group commit on the database (%s)', (dialect) => {
  let db: TestDb;
  beforeAll(async () => {
    db = await freshDb(dialect);
  });
  afterAll(async () => {
    await db?.cleanup();
  });

  it('fails only the row that fails, not the others of its batch', async () => {
    const events = createEventLog({ handle: db, pollMs: 0 });
    const accept = createAcceptRepository(db.dialect);
    const taken = newDownloadRow({ artist: 'Taken', title: 'Id' }, Date.now(), 3);
    await db.db
      .insertInto('downloads')
      .values({ ...taken, status: 'completed' })
      .execute();
    const group = createGroupCommit({
      enabled: true,
      maxBatch: 64,
      commit: (rows: ReturnType<typeof newDownloadRow>[]) =>
        db.writeTx((tx) => acceptRows({ accept, events }, tx, rows, 0)),
    });
    const rows = Array.from({ length: 10 }, (_, i) =>
      newDownloadRow({ artist: 'Batch', title: `Row ${i}` }, Date.now(), 3),
    );
    // Row 4 reuses a primary key: its insert fails (on PostgreSQL, aborting the transaction).
    rows[4] = { ...(rows[4] as (typeof rows)[number]), id: taken.id };
    const results = await Promise.allSettled(rows.map((r) => group.submit(r)));
    expect(results.map((r) => r.status)).toEqual(
      rows.map((_, i) => (i === 4 ? 'rejected' : 'fulfilled')),
    );
    expect(group.stats.largest).toBeGreaterThan(1);
    const stored = await db.db
      .selectFrom('downloads')
      .select('id')
      .where('artist', '=', 'Batch')
      .execute();
    expect(stored).toHaveLength(9);
    const logged = await db.db.selectFrom('events').select('payload').execute();
    expect(logged.filter((e) => e.payload.includes('"artist":"Batch"'))).toHaveLength(9);
  });
});
