import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { createSettingsRepository } from '../src/settings/settings.repository.js';
import { openDatabase } from '../src/db/database.js';
import { defaultSettings } from '../src/settings/settings.definitions.js';
import { createSettingsService } from '../src/settings/settings.service.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { API_KEY, fastEnv } from './helpers/stack.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** Polls until fn() returns a value that passes, for as long as the other process may need. */
async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let value = await fn();
  while (!ok(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    value = await fn();
  }
  return value;
}

async function call(s: SoulSpot, method: string, url: string, payload?: unknown) {
  const res = await s.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-api-key': API_KEY },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe.each(testDialects())('settings on %s', (dialect) => {
  const roots: string[] = [];
  const instances: SoulSpot[] = [];
  let drop: (() => Promise<void>) | undefined;
  let databaseUrl: string | undefined;

  async function start(env: Record<string, string> = {}): Promise<SoulSpot> {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-settings-'));
    roots.push(root);
    const config = loadConfig({
      ...fastEnv(root),
      // Nothing to reach: these instances only serve the settings API.
      SOULSPOT_SLSKD_URL: 'http://127.0.0.1:9',
      ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
      ...env,
    });
    const s = await startSoulSpot(config, { listen: false, runWorkers: false });
    instances.push(s);
    return s;
  }

  beforeAll(async () => {
    if (dialect === 'postgres') {
      const db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = db.url;
      drop = db.drop;
    }
  });
  afterAll(async () => {
    for (const s of instances) await s.stop();
    await drop?.();
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('serves the environment defaults, changes them, and puts one back with null', async () => {
    const s = await start({ SOULSPOT_MAX_CONCURRENT: '4', SOULSPOT_STALL_TIMEOUT_SECONDS: '90' });
    const before = await call(s, 'GET', '/api/settings');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ maxConcurrent: 4, stallTimeoutSeconds: 90 });

    const windows = [{ days: 'sat,sun', from: '22:00', to: '06:00' }];
    const patched = await call(s, 'PATCH', '/api/settings', {
      maxConcurrent: 9,
      retryBackoffSeconds: [1, 2.5],
      timeZone: 'Europe/Berlin',
      timeWindows: windows,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      maxConcurrent: 9,
      retryBackoffSeconds: [1, 2.5],
      timeZone: 'Europe/Berlin',
      timeWindows: windows,
    });
    expect(s.settings.get('maxConcurrent')).toBe(9);

    const reset = await call(s, 'PATCH', '/api/settings', { maxConcurrent: null });
    expect(reset.body).toMatchObject({ maxConcurrent: 4, retryBackoffSeconds: [1, 2.5] });
  });

  it('refuses unknown keys and bad values with a 400 naming the field, and stores nothing', async () => {
    const s = await start();
    const before = (await call(s, 'GET', '/api/settings')).body;
    for (const [payload, field] of [
      [{ maxConcurent: 2 }, 'body/maxConcurent is not a known field'],
      [{ maxConcurrent: 0 }, 'body/maxConcurrent'],
      [{ maxConcurrent: 2.5 }, 'body/maxConcurrent'],
      [{ maxConcurrent: '3' }, 'body/maxConcurrent'],
      [{ retryBackoffSeconds: [] }, 'body/retryBackoffSeconds'],
      [{ maxConcurrent: 5, stallTimeoutSeconds: -1 }, 'body/stallTimeoutSeconds'],
      [{ timeZone: 'Mars/Olympus' }, 'body/timeZone "Mars/Olympus" is not a known time zone'],
      [
        { timeWindows: [{ days: 'mon-fri', from: '25:00', to: '07:00' }] },
        'body/timeWindows/0/from must be a time',
      ],
      [{ timeWindows: [{ days: 'mon', from: '01:00' }] }, 'body/timeWindows/0/to is required'],
    ] as const) {
      const res = await call(s, 'PATCH', '/api/settings', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(String(res.body.message)).toContain(field);
    }
    expect((await call(s, 'GET', '/api/settings')).body).toEqual(before);
  });

  it('ignores a stored value that is not valid (an older version wrote it) and uses the default', async () => {
    const s = await start({ SOULSPOT_MAX_RETRIES: '2' });
    await createSettingsRepository(s.db).write(
      [
        { key: 'maxRetries', value: '"lots"' },
        { key: 'someFutureSetting', value: 'true' },
      ],
      [],
      Date.now(),
    );
    await s.settings.load();
    expect(s.settings.get('maxRetries')).toBe(2);
    expect((await call(s, 'GET', '/api/settings')).body).not.toHaveProperty('someFutureSetting');
    await createSettingsRepository(s.db).write([], ['maxRetries', 'someFutureSetting'], Date.now());
  });

  it('a change made through one process applies in another sharing the database', async () => {
    const a = await start();
    const dataDir = path.join(roots.at(-1) as string, 'data');
    const second =
      dialect === 'sqlite'
        ? await openDatabase({ url: null, sqlitePath: path.join(dataDir, 'soulspot.db') })
        : null;
    // PostgreSQL: a second SoulSpot on the same database. SQLite belongs to one process (its data
    // dir), so the other reader is a settings service on a second connection to the same file.
    const other =
      dialect === 'postgres'
        ? (await start()).settings
        : createSettingsService({
            repo: createSettingsRepository(second as NonNullable<typeof second>),
            defaults: defaultSettings(loadConfig({ ...fastEnv(roots.at(-1) as string) })),
            now: Date.now,
            log: silent,
          });
    await other.load();
    other.start();
    const seen: number[] = [];
    other.onChange((changed, now) => {
      if (changed.includes('maxConcurrentPerUser')) seen.push(now.maxConcurrentPerUser);
    });
    const res = await call(a, 'PATCH', '/api/settings', { maxConcurrentPerUser: 4 });
    expect(res.status).toBe(200);
    const got = await eventually(
      async () => other.get('maxConcurrentPerUser'),
      (v) => v === 4,
    );
    expect(got).toBe(4);
    expect(seen).toEqual([4]);
    other.stop();
    await second?.close();
  });
});
