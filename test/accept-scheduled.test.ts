import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';

/**
 * `scheduledAt` at create time (POST /api/downloads and the items of POST /api/downloads/bulk):
 * a time to come creates the download held (`scheduled`), its event in the same commit; a time gone
 * by, or null, is due at once; a time that is not RFC 3339 is a 400 naming the field.
 */
describe.each(testDialects())('scheduledAt on create on %s', (dialect) => {
  let server: ApiServer;
  const call = async (method: 'GET' | 'POST', url: string, payload?: unknown) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };
  const future = new Date(Date.now() + 86_400_000).toISOString();

  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The last `download.updated` event logged for a download. */
  const lastEventOf = async (id: string): Promise<DownloadDto | undefined> =>
    (await server.soulspot.events.read(0))
      .filter((e) => e.type === 'download.updated')
      .map((e) => JSON.parse(e.data) as DownloadDto)
      .filter((d) => d.id === id)
      .at(-1);

  it('creates a download held until a time to come, with its event', async () => {
    const res = await call('POST', '/api/downloads', {
      artist: 'Sched',
      title: 'Later',
      scheduledAt: future,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'scheduled', scheduledAt: future });
    expect(await lastEventOf(res.body.id as string)).toMatchObject({
      status: 'scheduled',
      scheduledAt: future,
    });
    const queue = await call('GET', '/api/queue');
    expect(queue.body).toMatchObject({ byHold: { scheduled: 1 }, nextScheduledAt: future });
  });

  it.each([
    ['a time gone by', '2001-09-09T01:46:40Z'],
    ['null', null],
  ])('takes %s as due at once', async (what, at) => {
    const res = await call('POST', '/api/downloads', {
      artist: 'Sched',
      title: `Now ${what}`,
      scheduledAt: at,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'waiting', scheduledAt: null });
  });

  it.each(['tomorrow', '2026-02-30T00:00:00Z', '2026-01-01', 1_900_000_000_000])(
    'refuses %j, naming the field',
    async (at) => {
      const one = await call('POST', '/api/downloads', {
        artist: 'S',
        title: 'x',
        scheduledAt: at,
      });
      expect(one.status).toBe(400);
      expect(one.body.message).toMatch(/^body\/scheduledAt /);
      const bulk = await call('POST', '/api/downloads/bulk', {
        items: [
          { artist: 'S', title: 'y' },
          { artist: 'S', title: 'z', scheduledAt: at },
        ],
      });
      expect(bulk.status).toBe(400);
      expect(bulk.body.message).toMatch(/^body\/items\/1\/scheduledAt /);
    },
  );

  it('holds each bulk item by its own time', async () => {
    const res = await call('POST', '/api/downloads/bulk', {
      items: [
        { artist: 'Bulk', title: 'held', scheduledAt: future },
        { artist: 'Bulk', title: 'due', scheduledAt: '2001-01-01T00:00:00Z' },
        { artist: 'Bulk', title: 'plain' },
      ],
    });
    expect(res.status).toBe(200);
    const ids = (res.body.items as { id: string }[]).map((i) => i.id);
    const got = await Promise.all(
      ids.map(async (id) => (await call('GET', `/api/downloads/${id}`)).body),
    );
    expect(got.map((d) => [d.status, d.scheduledAt])).toEqual([
      ['scheduled', future],
      ['waiting', null],
      ['waiting', null],
    ]);
    expect(await lastEventOf(ids[0]!)).toMatchObject({ status: 'scheduled' });
  });
});
