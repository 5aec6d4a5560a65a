import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, API_KEY, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';
import { historyWriter } from './helpers/history.js';

const D = Date.UTC(2026, 2, 10);
const H = 3_600_000;

/** GET /api/stats over the real app (routes, validation, API key), on each database. */
describe.each(testDialects())('GET /api/stats on %s', (dialect) => {
  let server: ApiServer;

  beforeAll(async () => {
    server = await startApiServer(dialect);
    const h = historyWriter(server.soulspot.db);
    const a = await h.add({
      artist: 'Alpha',
      createdAt: D,
      source: { ext: 'flac', peer: 'p1', size: 1000, speed: 500 },
    });
    await h.set(a, 'completed', D + H);
    const b = await h.add({ artist: 'Beta', createdAt: D });
    await h.set(b, 'failed', D + 2 * H, 'no_results');
  });
  afterAll(() => server.close());

  const get = async (query: string, key: string | null = API_KEY) => {
    const res = await server.app.inject({
      method: 'GET',
      url: `/api/stats${query}`,
      headers: key === null ? {} : { 'x-api-key': key },
    });
    return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
  };

  it('answers a period given by ISO dates and by epoch ms alike', async () => {
    const iso = await get('?from=2026-03-10&to=2026-03-11');
    const ms = await get(`?from=${D}&to=${D + 24 * H}`);
    expect(iso.status).toBe(200);
    expect(iso.body).toEqual(ms.body);
    expect(iso.body).toMatchObject({
      period: { from: '2026-03-10T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z', timeZone: 'UTC' },
      totals: {
        downloads: 2,
        completed: 1,
        failed: 1,
        bytes: 1000,
        successRate: 0.5,
        meanSpeed: 500,
      },
      failureReasons: [{ code: 'no_results', count: 1 }],
      bySource: [{ name: 'p1', downloads: 1, successRate: 1, meanSpeed: 500 }],
      history: [
        { date: '2026-03-10', downloads: 2, completed: 1, failed: 1, cancelled: 0, bytes: 1000 },
      ],
    });
    const offset = await get(`?from=${encodeURIComponent('2026-03-10T02:00:00+01:00')}`);
    // 01:00Z: the completion at 01:00 is in, the failure at 02:00 too.
    expect(offset.body).toMatchObject({ totals: { downloads: 2 } });
  });

  it('period=all spans the history; the default (week) is relative to now', async () => {
    expect((await get('?period=all')).body).toMatchObject({
      period: { from: new Date(D + H).toISOString(), to: new Date(D + 2 * H + 1).toISOString() },
      totals: { downloads: 2 },
    });
    // The seeded history is in March 2026: not in the last week of the real clock.
    const week = await get('');
    expect(week.status).toBe(200);
    expect(week.body).toMatchObject({ totals: { downloads: Date.now() - D < 7 * 24 * H ? 2 : 0 } });
  });

  it('needs the API key', async () => {
    expect((await get('?period=all', null)).status).toBe(401);
  });

  it.each([
    ['?period=year', 'querystring/period'],
    ['?period=week&from=0', 'querystring/period'],
    ['?from=yesterday', 'querystring/from'],
    ['?from=2026-02-30', 'querystring/from'],
    ['?to=2026-03-01T12:00', 'querystring/to'],
    ['?from=2026-03-02&to=2026-03-01', 'querystring/from'],
    ['?from=99999999999999999', 'querystring/from'],
    ['?top=0', 'querystring/top'],
    ['?top=101', 'querystring/top'],
    ['?tz=Europe/Paris', 'querystring'],
  ])('%s is a 400 naming %s', async (query, field) => {
    const res = await get(query);
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain(field);
  });
});
