import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';

/**
 * Input rules of the queue-control and settings routes that the API fuzz test (api.fuzz.test.ts)
 * found broken, each pinned on both databases.
 */
describe.each(testDialects())('queue-control input on %s', (dialect) => {
  let server: ApiServer;
  const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  const newDownload = async (title: string) =>
    (await call('POST', '/api/downloads', { artist: 'Input', title }))
      .body as unknown as DownloadDto;

  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  // Before: "garbage" was a 500 on PostgreSQL and, on SQLite, a download held with no time at all.
  it.each([
    'garbage',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-01-01',
    '2026-01-01T00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00',
    '+275760-09-13T00:00:00.000Z',
  ])('refuses %j as a time, naming the field', async (time) => {
    const d = await newDownload(`schedule ${time}`);
    const patch = await call('PATCH', `/api/downloads/${d.id}`, { scheduledAt: time });
    expect(patch.status).toBe(400);
    expect(patch.body.message).toMatch(/^body\/scheduledAt /);
    expect((await call('GET', `/api/downloads/${d.id}`)).body).toMatchObject({
      status: 'waiting',
      scheduledAt: null,
    });
    const batch = await call('POST', '/api/downloads/batch', {
      filter: { createdAfter: time },
      action: 'pause',
    });
    expect(batch.status).toBe(400);
    expect(batch.body.message).toMatch(/^body\/filter\/createdAfter /);
  });

  it.each([
    ['2999-02-28T23:59:59Z', '2999-02-28T23:59:59.000Z'],
    ['2996-02-29T10:00:00.5+02:00', '2996-02-29T08:00:00.500Z'],
    ['2999-01-01t00:00:00z', '2999-01-01T00:00:00.000Z'],
  ])('takes the date-time %j', async (time, stored) => {
    const d = await newDownload(`schedule ${time}`);
    const patch = await call('PATCH', `/api/downloads/${d.id}`, { scheduledAt: time });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ status: 'scheduled', scheduledAt: stored });
  });

  // Before: a 500 on PostgreSQL, whose SQL has no empty `IN ()`.
  it('answers a batch retry of ids that do not exist with a result per id', async () => {
    const ids = [randomUUID(), randomUUID()];
    const res = await call('POST', '/api/downloads/batch', { ids, action: 'retry' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      successCount: 0,
      failedCount: 2,
      errors: ids.map((id) => ({ id, code: 'not_found' })),
    });
  });

  // Before: the 64 KB body limit answered 413 from about 1,600 ids on.
  it('takes the documented 10,000 ids in one batch and one reorder', async () => {
    const d = await newDownload('many ids');
    const ids = [d.id, ...Array.from({ length: 9_999 }, () => randomUUID())];
    const batch = await call('POST', '/api/downloads/batch', { ids, action: 'pause' });
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ successCount: 1, failedCount: 9_999 });
    const reorder = await call('POST', '/api/downloads/reorder', { ids });
    expect(reorder.status).toBe(200);
    expect(reorder.body).toMatchObject({ successCount: 1, failedCount: 9_999 });
    const over = await call('POST', '/api/downloads/batch', {
      ids: [...ids, randomUUID()],
      action: 'pause',
    });
    expect(over.status).toBe(400);
    expect(over.body.message).toMatch(/^body\/ids /);
  });

  // Before: both were taken, and `after` silently ignored.
  it('refuses a reorder that names both before and after', async () => {
    const [a, b, c] = [await newDownload('a'), await newDownload('b'), await newDownload('c')];
    const res = await call('POST', '/api/downloads/reorder', {
      ids: [a.id],
      before: b.id,
      after: c.id,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^body\/after/);
  });

  // Before: any word starting with a day's abbreviation ("monxyz", "sunny") was that day.
  it.each([
    ['monxyz', 400],
    ['sunny', 400],
    ['mon-fridays', 400],
    ['monday', 200],
    ['Saturday , SUN', 200],
    ['tue-thursday', 200],
  ])('judges the days %j of a time window (%i)', async (days, status) => {
    const res = await call('PATCH', '/api/settings', {
      timeWindows: [{ days, from: '01:00', to: '07:00' }],
    });
    expect(res.status).toBe(status);
    if (status === 400) expect(res.body.message).toMatch(/^body\/timeWindows\/0\/days /);
  });

  it('refuses an empty settings PATCH, as the download PATCH does', async () => {
    const res = await call('PATCH', '/api/settings', {});
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^body /);
  });
});
