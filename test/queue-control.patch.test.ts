import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';

/**
 * `PATCH /api/downloads/{id}` is one transaction: all of priority, position and scheduledAt, or
 * none of them; and ending a schedule that is not there is a no-op, not a conflict.
 */
describe.each(testDialects())('download PATCH on %s', (dialect) => {
  let server: ApiServer;
  const call = async (
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
  ) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  const newDownload = async (title: string) =>
    (await call('POST', '/api/downloads', { artist: 'Patch', title }))
      .body as unknown as DownloadDto;
  const get = async (id: string) => (await call('GET', `/api/downloads/${id}`)).body;
  const future = () => new Date(Date.now() + 86_400_000).toISOString();

  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  // Before: the priority was committed, then the schedule refused with a 409.
  it('applies no part of a PATCH whose schedule is refused', async () => {
    const d = await newDownload('cancelled, then patched');
    await call('DELETE', `/api/downloads/${d.id}`);
    const before = await get(d.id);
    const res = await call('PATCH', `/api/downloads/${d.id}`, {
      priority: 7,
      scheduledAt: future(),
    });
    expect(res.status).toBe(409);
    expect(await get(d.id)).toEqual(before);
  });

  // Before: the priority was committed, then the move refused with a 409.
  it('applies no part of a PATCH whose move is refused', async () => {
    const d = await newDownload('cancelled, then moved');
    await call('DELETE', `/api/downloads/${d.id}`);
    const before = await get(d.id);
    const res = await call('PATCH', `/api/downloads/${d.id}`, { priority: 9, position: 0 });
    expect(res.status).toBe(409);
    expect(await get(d.id)).toEqual(before);
  });

  it('applies every part of a PATCH that is taken', async () => {
    const d = await newDownload('all parts');
    const at = future();
    const res = await call('PATCH', `/api/downloads/${d.id}`, { priority: 3, scheduledAt: at });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      priority: 3,
      status: 'scheduled',
      scheduledAt: new Date(at).toISOString(),
    });
    expect(await get(d.id)).toEqual(res.body);
  });

  it('answers 404 for a download that does not exist, changing nothing', async () => {
    const res = await call('PATCH', '/api/downloads/00000000-0000-4000-8000-000000000001', {
      priority: 1,
    });
    expect(res.status).toBe(404);
  });

  // Before: a 409 "Download is not paused or scheduled".
  it.each([
    ['null', null],
    ['a time gone by', '2000-01-01T00:00:00Z'],
  ])('takes scheduledAt %s on a download with no schedule as a no-op', async (_, at) => {
    const d = await newDownload(`no schedule ${String(at)}`);
    const before = await get(d.id);
    const res = await call('PATCH', `/api/downloads/${d.id}`, { scheduledAt: at });
    expect(res.status).toBe(200);
    expect(res.body).toEqual(before);
  });

  it('ends a schedule with null, and leaves a pause to resume', async () => {
    const d = await newDownload('scheduled, then not');
    await call('PATCH', `/api/downloads/${d.id}`, { scheduledAt: future() });
    const ended = await call('PATCH', `/api/downloads/${d.id}`, { scheduledAt: null });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ status: 'waiting', scheduledAt: null });

    const p = await newDownload('paused, then null');
    await call('POST', '/api/downloads/batch', { ids: [p.id], action: 'pause' });
    const res = await call('PATCH', `/api/downloads/${p.id}`, { scheduledAt: null });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'paused', scheduledAt: null });
  });
});
