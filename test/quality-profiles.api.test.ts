import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App, type AppDeps } from '../src/http/app.js';
import { createEventLog } from '../src/events/event-log.js';
import { BUILT_IN_IDS, BUILT_IN_PROFILES } from '../src/matching/quality-profile-builtins.js';
import type { QualityProfileDto } from '../src/quality-profiles/quality-profiles.dto.js';
import { createQualityProfileService } from '../src/quality-profiles/quality-profiles.service.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const KEY = 'quality-profiles-test-key-0123';

/** The routes inside the real app (auth, validator, error mapping) on a real database. */
async function appWith(db: TestDb): Promise<App> {
  const notUsedHere = {} as never;
  const deps: AppDeps = {
    apiKey: KEY,
    downloads: notUsedHere,
    blocklist: notUsedHere,
    health: notUsedHere,
    broker: notUsedHere,
    settings: notUsedHere,
    queueControl: notUsedHere,
    qualityProfiles: createQualityProfileService({
      handle: db,
      now: Date.now,
      // Appends only (never started): these tests read profiles; the events have their own test.
      events: createEventLog({ handle: db, pollMs: 0 }),
    }),
  };
  const app = await buildApp(deps);
  await app.ready();
  return app;
}

describe.each(testDialects())('quality profiles API on %s', (dialect) => {
  let db: TestDb;
  let app: App;

  beforeEach(async () => {
    db = await freshDb(dialect);
    app = await appWith(db);
  });
  afterEach(async () => {
    await app.close();
    await db.cleanup();
  });

  const call = async <T = QualityProfileDto>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
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
    (await call<{ items: QualityProfileDto[] }>('GET', '/api/quality-profiles')).body.items;
  const message = (r: { body: unknown }) => (r.body as { message: string }).message;
  const url = (id: string) => `/api/quality-profiles/${id}`;
  const defaults = async () => (await list()).filter((p) => p.isDefault).map((p) => p.name);

  it('needs the API key', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/quality-profiles' })).statusCode).toBe(
      401,
    );
  });

  it('starts with the four built-ins, exactly as the code defines them, Any the default', async () => {
    expect(await list()).toEqual(BUILT_IN_PROFILES.map((p) => ({ ...p, builtIn: true })));
    expect(await defaults()).toEqual(['Any']);
    const one = await call('GET', url(BUILT_IN_IDS.balanced));
    expect(one.status).toBe(200);
    expect(one.body.name).toBe('Balanced');
  });

  it('creates with defaults, reads, edits, and deletes a profile', async () => {
    const created = await call('POST', '/api/quality-profiles', {
      name: 'Vinyl hunters',
      excludeKeywords: ['vinyl rip'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Vinyl hunters',
      description: '',
      preferredFormats: [],
      durationToleranceSeconds: 5,
      excludeKeywords: ['vinyl rip'],
      allowLossy: true,
      isDefault: false,
      builtIn: false,
      required: ['duration', 'excludeKeywords', 'excludeUsers'],
    });
    const { id } = created.body;
    expect((await call('GET', url(id))).body).toEqual(created.body);

    const edited = await call('PATCH', url(id), {
      minBitrate: 320,
      required: ['bitrate'],
      description: 'only 320',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ minBitrate: 320, required: ['bitrate'], allowLossy: true });
    const cleared = await call('PATCH', url(id), { minBitrate: null });
    expect(cleared.body.minBitrate).toBeNull();
    expect(cleared.body.description).toBe('only 320');

    expect((await call('DELETE', url(id))).status).toBe(204);
    expect((await call('GET', url(id))).status).toBe(404);
    expect((await call('DELETE', url(id))).status).toBe(404);
    expect((await call('PATCH', url(id), { name: 'x' })).status).toBe(404);
  });

  it('copies a built-in with copyOf, changing only what is sent', async () => {
    const copy = await call('POST', '/api/quality-profiles', {
      copyOf: BUILT_IN_IDS.audiophile,
      name: 'Hi-res',
      minSampleRate: 88_200,
    });
    expect(copy.status).toBe(201);
    const { id: _a, name: _n, ...original } = BUILT_IN_PROFILES[0]!;
    expect(copy.body).toEqual({
      ...original,
      id: copy.body.id,
      name: 'Hi-res',
      minSampleRate: 88_200,
      isDefault: false,
      builtIn: false,
    });
    const missing = await call('POST', '/api/quality-profiles', {
      copyOf: '00000000-0000-4000-8000-0000000000ff',
      name: 'x',
    });
    expect(missing.status).toBe(400);
    expect(message(missing)).toMatch(/^body\/copyOf: no quality profile has the id/);
  });

  it('lets a built-in be edited but not deleted', async () => {
    const edited = await call('PATCH', url(BUILT_IN_IDS.spaceSaver), { maxFileSizeMb: 10 });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ maxFileSizeMb: 10, builtIn: true });
    const deleted = await call('DELETE', url(BUILT_IN_IDS.spaceSaver));
    expect(deleted.status).toBe(409);
    expect(message(deleted)).toBe(
      '"Space Saver" is a built-in quality profile: it can be edited or copied, not deleted',
    );
  });

  it('keeps exactly one default: a new default replaces the old, the default stays', async () => {
    const mine = await call('POST', '/api/quality-profiles', { name: 'Mine', isDefault: true });
    expect(mine.body.isDefault).toBe(true);
    expect(await defaults()).toEqual(['Mine']);

    expect((await call('PATCH', url(BUILT_IN_IDS.balanced), { isDefault: true })).status).toBe(200);
    expect(await defaults()).toEqual(['Balanced']);

    const undefault = await call('PATCH', url(BUILT_IN_IDS.balanced), { isDefault: false });
    expect(undefault.status).toBe(409);
    expect(message(undefault)).toMatch(/is the default quality profile; make another profile/);

    const again = await call('POST', '/api/quality-profiles', { name: 'Other', isDefault: true });
    const deleteDefault = await call('DELETE', url(again.body.id));
    expect(deleteDefault.status).toBe(409);
    expect(message(deleteDefault)).toBe(
      '"Other" is the default quality profile and cannot be deleted; make another profile the default first',
    );
    // Once another profile is the default, the old one can go.
    await call('PATCH', url(mine.body.id), { isDefault: true });
    expect((await call('DELETE', url(again.body.id))).status).toBe(204);
    expect(await defaults()).toEqual(['Mine']);
  });

  it('keeps one default when many requests change it at once', async () => {
    const made = await Promise.all(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => call('POST', '/api/quality-profiles', { name })),
    );
    const results = await Promise.all(
      made.map((m) => call('PATCH', url(m.body.id), { isDefault: true })),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(await defaults()).toHaveLength(1);
  });

  it('refuses a second profile of the same name, whatever its case (409)', async () => {
    const dup = await call('POST', '/api/quality-profiles', { name: 'balanced' });
    expect(dup.status).toBe(409);
    expect(message(dup)).toBe('A quality profile named "balanced" exists already');
    const mine = await call('POST', '/api/quality-profiles', { name: 'Mine' });
    const rename = await call('PATCH', url(mine.body.id), { name: 'ANY' });
    expect(rename.status).toBe(409);
    expect((await call('PATCH', url(mine.body.id), { name: 'mine' })).status).toBe(200);
  });

  it('keeps allowLossy and a required lossless in step', async () => {
    const mine = await call('POST', '/api/quality-profiles', { name: 'L', allowLossy: false });
    expect(mine.body.required).toContain('lossless');
    const back = await call('PATCH', url(mine.body.id), { allowLossy: true });
    expect(back.body.required).not.toContain('lossless');
    const viaRequired = await call('PATCH', url(mine.body.id), { required: ['lossless'] });
    expect(viaRequired.body.allowLossy).toBe(false);
    const both = await call('PATCH', url(mine.body.id), {
      allowLossy: true,
      required: ['lossless'],
    });
    expect(both.status).toBe(400);
    expect(message(both)).toMatch(/^body\/allowLossy true disagrees with body\/required/);
  });

  it.each([
    [{ minBitrate: 320, maxBitrate: 256 }, 'body/minBitrate 320 is above body/maxBitrate 256'],
    [{ minFileSizeMb: 5, maxFileSizeMb: 1 }, 'body/minFileSizeMb 5 is above body/maxFileSizeMb 1'],
    [{ minBitDepth: 24, maxBitDepth: 16 }, 'body/minBitDepth 24 is above body/maxBitDepth 16'],
    [
      { minSampleRate: 96_000, maxSampleRate: 48_000 },
      'body/minSampleRate 96000 is above body/maxSampleRate 48000',
    ],
    [
      { preferredFormats: ['flac', 'mp4'] },
      /^body\/preferredFormats\/1 "mp4" is not a known format/,
    ],
    [{ required: ['format', 'loudness'] }, /^body\/required\/1 "loudness" is not a condition/],
    [
      { required: ['formatOrder'] },
      'body/required/0 "formatOrder" only ranks and cannot be required',
    ],
    // A nullable number: one sentence, the rule and the null it may also be.
    [{ minBitrate: -1 }, 'body/minBitrate must be >= 0 or null'],
    [{ name: '  ' }, /^body\/name must match pattern/],
    [{ colour: 'red' }, 'body/colour is not a known field'],
    [
      { preferredFormats: ['flac', 'flac'] },
      /^body\/preferredFormats must NOT have duplicate items/,
    ],
  ] as const)('refuses %j: %s', async (body, expected) => {
    const res = await call('POST', '/api/quality-profiles', { name: 'N', ...body });
    expect(res.status).toBe(400);
    if (typeof expected === 'string') expect(message(res)).toBe(expected);
    else expect(message(res)).toMatch(expected);
    expect((await list()).map((p) => p.name)).not.toContain('N');
  });

  it('checks the merged profile on PATCH, and wants at least one field', async () => {
    const bad = await call('PATCH', url(BUILT_IN_IDS.spaceSaver), { minBitrate: 400 });
    expect(bad.status).toBe(400);
    expect(message(bad)).toBe('body/minBitrate 400 is above body/maxBitrate 320');
    expect((await call('GET', url(BUILT_IN_IDS.spaceSaver))).body.minBitrate).toBe(192);
    const empty = await call('PATCH', url(BUILT_IN_IDS.spaceSaver), {});
    expect(empty.status).toBe(400);
    expect((await call('GET', url('not-a-uuid'))).status).toBe(400);
  });
});
