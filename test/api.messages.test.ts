import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from './helpers/db.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';

/**
 * What a 400 says, word for word, for the bad inputs people send most: one sentence per problem,
 * naming the field. A nullable field (TypeBox Union with null, Ajv anyOf) used to answer with each
 * branch's error and the union's ("must be > 0; must be null; must match a schema in anyOf").
 */
const SONG = { artist: 'Nina Simone', title: 'Sinnerman' };

const CASES: [method: 'POST' | 'PATCH', url: string, body: unknown, message: string][] = [
  [
    'POST',
    '/api/downloads',
    { ...SONG, durationSeconds: -1 },
    'body/durationSeconds must be > 0 or null',
  ],
  [
    'POST',
    '/api/downloads',
    { ...SONG, durationSeconds: 0 },
    'body/durationSeconds must be > 0 or null',
  ],
  [
    'POST',
    '/api/downloads',
    { ...SONG, durationSeconds: 86_401 },
    'body/durationSeconds must be <= 86400 or null',
  ],
  [
    'POST',
    '/api/downloads',
    { ...SONG, durationSeconds: '215' },
    'body/durationSeconds must be number or null',
  ],
  ['POST', '/api/downloads', { ...SONG, trackNumber: 0 }, 'body/trackNumber must be >= 1 or null'],
  [
    'POST',
    '/api/downloads',
    { ...SONG, trackNumber: 1.5 },
    'body/trackNumber must be integer or null',
  ],
  ['POST', '/api/downloads', { ...SONG, album: 7 }, 'body/album must be string or null'],
  [
    'POST',
    '/api/downloads',
    { ...SONG, album: 'Pastel\u0000Blues' },
    'body/album must not contain NUL characters or be null',
  ],
  [
    'POST',
    '/api/downloads',
    { ...SONG, qualityProfileId: 'lossless' },
    'body/qualityProfileId must be a lowercase UUID (as SoulSpot returns ids) or null',
  ],
  [
    'POST',
    '/api/downloads',
    { ...SONG, scheduledAt: 'tomorrow' },
    'body/scheduledAt must be an RFC 3339 date-time such as "2026-01-31T22:00:00Z" or null',
  ],
  // Not in a union: said as before.
  ['POST', '/api/downloads', { title: 'Sinnerman' }, 'body/artist is required'],
  ['POST', '/api/downloads', { ...SONG, priority: 1001 }, 'body/priority must be <= 1000'],
  ['POST', '/api/downloads', { ...SONG, titel: 'x' }, 'body/titel is not a known field'],
  [
    'POST',
    '/api/quality-profiles',
    { name: 'Low', minBitrate: -5 },
    'body/minBitrate must be >= 0 or null',
  ],
  [
    'POST',
    '/api/quality-profiles',
    { name: 'Deep', maxBitDepth: 65 },
    'body/maxBitDepth must be <= 64 or null',
  ],
  ['PATCH', '/api/settings', { maxConcurrent: 0 }, 'body/maxConcurrent must be >= 1 or null'],
  [
    'PATCH',
    '/api/settings',
    { transcodeAction: 'ignore' },
    'body/transcodeAction must be "reject" or "warn" or null',
  ],
  // Inside a list that is the right type: the part at fault, not "or null".
  [
    'PATCH',
    '/api/settings',
    { retryBackoffSeconds: [60, -1] },
    'body/retryBackoffSeconds/1 must be >= 0',
  ],
  [
    'PATCH',
    '/api/settings',
    { timeWindows: [{ days: 'mon', from: '01:00' }] },
    'body/timeWindows/0/to is required',
  ],
  [
    'PATCH',
    '/api/settings',
    { timeWindows: [{ days: 'mon', from: '01:00', to: '02:00', until: 'x' }] },
    'body/timeWindows/0/until is not a known field',
  ],
  ['PATCH', '/api/settings', { timeWindows: 'mon-fri' }, 'body/timeWindows must be array or null'],
];

describe.each(testDialects())('400 messages on %s', (dialect) => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each(CASES)('%s %s %j → %s', async (method, url, body, message) => {
    const res = await server.app.inject({
      method,
      url,
      headers: { 'x-api-key': API_KEY },
      payload: body as object,
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json<{ message: string }>().message).toBe(message);
  });

  it('stored none of them', async () => {
    const list = await server.app.inject({
      method: 'GET',
      url: '/api/downloads',
      headers: { 'x-api-key': API_KEY },
    });
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    const settings = await server.app.inject({
      method: 'GET',
      url: '/api/settings',
      headers: { 'x-api-key': API_KEY },
    });
    expect(settings.json<Record<string, unknown>>()).toMatchObject({
      transcodeAction: 'reject',
      maxConcurrent: expect.any(Number),
    });
  });
});
