import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createEventLogRepository } from '../src/events/event-log.repository.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { BUILT_IN_IDS } from '../src/matching/quality-profile-builtins.js';
import type { QualityProfileDto } from '../src/quality-profiles/quality-profiles.dto.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { openSse, type SseEvent, type SseReader } from './helpers/sse.js';
import { API_KEY, fastEnv, startEmulatorIn } from './helpers/stack.js';

/**
 * `quality-profile.changed` over real HTTP and SSE: one event per profile a write changed, with
 * the profile as the API returns it, none for a refused write, and the same events replayed from
 * the log with Last-Event-ID. Workers are off: the API's own writes are the only events.
 */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Changed = { id: string; change: 'created' | 'updated' | 'deleted'; profile?: unknown };
const profileEvents = (events: SseEvent[]): Changed[] =>
  events
    .filter((e) => e.event === 'quality-profile.changed')
    .map((e) => JSON.parse(e.data) as Changed);

describe.each(testDialects())('quality-profile.changed on %s', (dialect) => {
  async function start(): Promise<SoulSpot> {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-qp-events-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const emulator = await startEmulatorIn(root, []);
    cleanups.push(() => emulator.close());
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      cleanups.push(() => pg.drop());
      databaseUrl = pg.url;
    }
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
    });
    // No safety poll: each event must arrive through the wake-up its commit sends.
    const s = await startSoulSpot(config, { runWorkers: false, events: { pollMs: 0 } });
    cleanups.push(() => s.stop());
    return s;
  }
  async function sse(s: SoulSpot, lastEventId?: number): Promise<SseReader> {
    const r = await openSse(s.url, lastEventId === undefined ? {} : { lastEventId });
    cleanups.push(() => r.close());
    return r;
  }
  async function api<T>(s: SoulSpot, method: string, url: string, body?: unknown) {
    const res = await fetch(`${s.url}${url}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as T };
  }

  it('announces create, update, a default handed over and delete; refused writes announce nothing', async () => {
    const s = await start();
    const live = await sse(s);
    const startId = (await createEventLogRepository(s.db.db).bounds()).latest ?? 0;

    const created = await api<QualityProfileDto>(s, 'POST', '/api/quality-profiles', {
      name: 'Vinyl rips',
      preferredFormats: ['flac'],
      minBitDepth: 24,
    });
    expect(created.status).toBe(201);
    const renamed = await api<QualityProfileDto>(
      s,
      'PATCH',
      `/api/quality-profiles/${created.body.id}`,
      { name: 'Vinyl rips (24-bit)' },
    );
    expect(renamed.status).toBe(200);
    // Refused: a taken name, a bad value, deleting the default, deleting a built-in.
    expect((await api(s, 'POST', '/api/quality-profiles', { name: 'balanced' })).status).toBe(409);
    expect(
      (await api(s, 'POST', '/api/quality-profiles', { name: 'Odd', minBitrate: -5 })).status,
    ).toBe(400);
    const defaultId = (
      await api<{ items: QualityProfileDto[] }>(s, 'GET', '/api/quality-profiles')
    ).body.items.find((p) => p.isDefault)!.id;
    expect((await api(s, 'DELETE', `/api/quality-profiles/${defaultId}`)).status).toBe(409);
    expect((await api(s, 'DELETE', `/api/quality-profiles/${BUILT_IN_IDS.any}`)).status).toBe(409);
    // The default moves: the old default changed too, and says so.
    const madeDefault = await api<QualityProfileDto>(
      s,
      'PATCH',
      `/api/quality-profiles/${created.body.id}`,
      { isDefault: true },
    );
    expect(madeDefault.status).toBe(200);
    const oldDefault = await api<QualityProfileDto>(s, 'GET', `/api/quality-profiles/${defaultId}`);
    expect(oldDefault.body.isDefault).toBe(false);
    const copy = await api<QualityProfileDto>(s, 'POST', '/api/quality-profiles', {
      name: 'Copy',
      copyOf: BUILT_IN_IDS.spaceSaver,
      isDefault: true,
    });
    expect(copy.status).toBe(201);
    const afterCopy = await api<QualityProfileDto>(
      s,
      'GET',
      `/api/quality-profiles/${created.body.id}`,
    );
    expect(
      (await api(s, 'PATCH', `/api/quality-profiles/${created.body.id}`, { isDefault: true }))
        .status,
    ).toBe(200);
    const rest = await api<QualityProfileDto>(s, 'GET', `/api/quality-profiles/${copy.body.id}`);
    expect((await api(s, 'DELETE', `/api/quality-profiles/${copy.body.id}`)).status).toBe(204);
    const final = await api<QualityProfileDto>(
      s,
      'GET',
      `/api/quality-profiles/${created.body.id}`,
    );

    const expected: Changed[] = [
      { id: created.body.id, change: 'created', profile: created.body },
      { id: created.body.id, change: 'updated', profile: renamed.body },
      { id: defaultId, change: 'updated', profile: oldDefault.body },
      { id: created.body.id, change: 'updated', profile: madeDefault.body },
      { id: created.body.id, change: 'updated', profile: afterCopy.body },
      { id: copy.body.id, change: 'created', profile: copy.body },
      { id: copy.body.id, change: 'updated', profile: rest.body },
      { id: created.body.id, change: 'updated', profile: final.body },
      { id: copy.body.id, change: 'deleted' },
    ];
    await live.waitFor((events) => profileEvents(events).length >= expected.length);
    expect(profileEvents(live.events)).toEqual(expected);
    // The log holds these and only these, as SSE sent them (a health check may sit between).
    const rows = (await createEventLogRepository(s.db.db).after(startId, 1000)).filter(
      (r) => r.type === 'quality-profile.changed',
    );
    expect(rows.map((r) => JSON.parse(r.payload) as unknown)).toEqual(expected);
    const sent = live.events.filter((e) => e.event === 'quality-profile.changed');
    expect(sent.map((e) => e.id)).toEqual(rows.map((r) => r.id));

    // A client that was away gets them replayed from the log.
    const replay = await sse(s, startId);
    await replay.waitFor((events) => profileEvents(events).length >= expected.length);
    expect(profileEvents(replay.events)).toEqual(expected);
    expect(
      replay.events.filter((e) => e.event === 'quality-profile.changed').map((e) => e.id),
    ).toEqual(rows.map((r) => r.id));
  });
});
