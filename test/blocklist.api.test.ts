import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BlocklistEntryDto } from '../src/blocklist/blocklist.dto.js';
import {
  createBlocklistService,
  type BlocklistService,
} from '../src/blocklist/blocklist.service.js';
import { createEventBus } from '../src/events/event-bus.js';
import { buildApp, type App, type AppDeps } from '../src/http/app.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;
const KEY = 'blocklist-test-key-0123456789';

/**
 * The blocklist routes inside the real app (auth hook, validator, error mapping) on a real database,
 * with a controllable clock for expiry. The services these routes never call are left out; the full
 * stack over real HTTP is covered in test/e2e/blocklist.e2e.test.ts.
 */
async function appWith(blocklist: BlocklistService): Promise<App> {
  const notUsedHere = {} as never;
  const deps: AppDeps = {
    apiKey: KEY,
    downloads: notUsedHere,
    health: notUsedHere,
    broker: notUsedHere,
    settings: notUsedHere,
    queueControl: notUsedHere,
    qualityProfiles: notUsedHere,
    blocklist,
  };
  const app = await buildApp(deps);
  await app.ready();
  return app;
}

describe.each(testDialects())('blocklist API on %s', (dialect) => {
  let db: TestDb;
  let app: App;
  let clock: number;
  let blocklist: BlocklistService;

  beforeEach(async () => {
    db = await freshDb(dialect);
    clock = T0;
    blocklist = createBlocklistService({
      handle: db,
      bus: createEventBus(),
      now: () => clock,
      settings: { failureThreshold: 3, windowMs: DAY, blockMs: 7 * DAY },
      // A second provider, so entries of two providers can be told apart.
      providers: ['slskd', 'usenet'],
    });
    app = await appWith(blocklist);
  });
  afterEach(async () => {
    await app.close();
    await db.cleanup();
  });

  const call = async <T = BlocklistEntryDto>(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
  ) => {
    const res = await app.inject({
      method,
      url,
      headers: { 'x-api-key': KEY },
      ...(body !== undefined ? { payload: body as object } : {}),
    });
    return { status: res.statusCode, body: (res.body ? res.json() : undefined) as T };
  };
  const list = async () =>
    (await call<{ items: BlocklistEntryDto[] }>('GET', '/api/blocklist')).body.items;

  it('needs the API key', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/blocklist' });
    expect(res.statusCode).toBe(401);
  });

  it('adds (201), updates (200), lists newest first and removes (204, then 404)', async () => {
    const user = await call('POST', '/api/blocklist', { username: 'fake-flacs' });
    expect(user.status).toBe(201);
    expect(user.body).toEqual({
      id: expect.any(String),
      provider: 'slskd',
      username: 'fake-flacs',
      filename: null,
      reason: null,
      source: 'manual',
      failureCount: 0,
      createdAt: new Date(T0).toISOString(),
      expiresAt: null,
    });

    clock = T0 + 1000;
    const again = await call('POST', '/api/blocklist', {
      username: 'fake-flacs',
      reason: 'transcodes',
      expiresInDays: 1.5,
    });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({
      id: user.body.id,
      reason: 'transcodes',
      createdAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + 1000 + 1.5 * DAY).toISOString(),
    });

    clock = T0 + 2000;
    const file = await call('POST', '/api/blocklist', {
      username: 'fake-flacs',
      filename: '@@share\\a.flac',
      reason: null,
      expiresInDays: null,
    });
    expect(file.status).toBe(201);
    expect(file.body).toMatchObject({ filename: '@@share\\a.flac', expiresAt: null });

    expect((await list()).map((e) => e.id)).toEqual([file.body.id, user.body.id]);

    const removed = await call('DELETE', `/api/blocklist/${user.body.id}`);
    expect(removed.status).toBe(204);
    expect(removed.body).toBeUndefined();
    expect((await list()).map((e) => e.id)).toEqual([file.body.id]);
    const gone = await call<{ message: string }>('DELETE', `/api/blocklist/${user.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.message).toContain(user.body.id);
  });

  it('lists automatic entries and leaves out expired ones', async () => {
    await blocklist.record({
      downloadId: 'd1',
      provider: 'slskd',
      username: 'banned-us',
      filename: '@@x.mp3',
      outcome: 'failed',
      errorCode: 'user_blocked',
      errorMessage: null,
      bytes: 0,
      averageSpeed: null,
      at: T0,
    });
    clock = T0 + 1;
    await call('POST', '/api/blocklist', { username: 'brief', expiresInDays: 0.25 });
    expect((await list()).map((e) => [e.username, e.source])).toEqual([
      ['brief', 'manual'],
      ['banned-us', 'auto'],
    ]);
    clock = T0 + 1 + 0.25 * DAY;
    expect((await list()).map((e) => e.username)).toEqual(['banned-us']);
  });

  it.each([
    [{}, 'body/username is required'],
    [{ username: '' }, 'body/username'],
    [{ username: '   ' }, 'body/username'],
    [{ username: 'u', filename: '' }, 'body/filename'],
    [{ username: 'u', expiresInDays: 0 }, 'body/expiresInDays'],
    [{ username: 'u', expiresInDays: -2 }, 'body/expiresInDays'],
    [{ username: 'u', expiresInDays: '3' }, 'body/expiresInDays'],
    [{ username: 'u', expiresInDays: 1e9 }, 'body/expiresInDays'],
    [{ username: 'u', expiresInDay: 3 }, 'body/expiresInDay is not a known field'],
    [{ username: 'u', reason: 5 }, 'body/reason'],
    [{ username: 'u', provider: 'torrent' }, 'body/provider'],
    [{ username: 'u', provider: null }, 'body/provider'],
  ])('rejects %j with a 400 naming the field', async (body, message) => {
    const res = await call<{ message: string }>('POST', '/api/blocklist', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(await list()).toEqual([]);
  });

  it('names the provider: a source of one provider is not the same-named source of another', async () => {
    const slskd = await call('POST', '/api/blocklist', { username: 'same-name' });
    clock = T0 + 1;
    const usenet = await call('POST', '/api/blocklist', {
      provider: 'usenet',
      username: 'same-name',
      reason: 'bad indexer',
    });
    // The unique entry is (provider, username, file): two entries, not an update.
    expect([slskd.status, usenet.status]).toEqual([201, 201]);
    expect(usenet.body).toMatchObject({ provider: 'usenet', reason: 'bad indexer' });
    expect((await list()).map((e) => [e.provider, e.username])).toEqual([
      ['usenet', 'same-name'],
      ['slskd', 'same-name'],
    ]);
    const only = async (provider: string) =>
      (await call<{ items: BlocklistEntryDto[] }>('GET', `/api/blocklist?provider=${provider}`))
        .body.items;
    expect((await only('usenet')).map((e) => e.id)).toEqual([usenet.body.id]);
    expect((await only('slskd')).map((e) => e.id)).toEqual([slskd.body.id]);
    const unknown = await call<{ message: string }>('GET', '/api/blocklist?provider=torrent');
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('querystring/provider');

    // The ranking reads an entry for its provider only.
    await call('DELETE', `/api/blocklist/${slskd.body.id}`);
    const filter = await blocklist.sourceFilter([
      { provider: 'slskd', username: 'same-name' },
      { provider: 'usenet', username: 'same-name' },
    ]);
    expect(filter.isBlocked({ provider: 'usenet', username: 'same-name', filename: 'a' })).toBe(
      true,
    );
    expect(filter.isBlocked({ provider: 'slskd', username: 'same-name', filename: 'a' })).toBe(
      false,
    );
    expect(filter.isBlocked({ username: 'same-name', filename: 'a' })).toBe(false);
  });
});
