import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { createEventLogRepository } from '../../src/events/event-log.repository.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { aboutDownload, openSse, type SseEvent, type SseReader } from '../helpers/sse.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';

/**
 * SSE served from the event log, over real HTTP: replay after a restart, a reset for a client the
 * log has moved past, and (PostgreSQL) two processes whose clients see each other's changes.
 * Workers are off: the API's own changes are the events, so every expected event is known.
 */
interface World {
  root: string;
  emulator: Emulator;
  configFor(name: string): Config;
  drop(): Promise<void>;
}

const running: SoulSpot[] = [];
const readers: SseReader[] = [];
const worlds: World[] = [];

afterEach(async () => {
  for (const r of readers.splice(0)) r.close();
  for (const s of running.splice(0)) await s.stop();
  for (const w of worlds.splice(0)) await w.drop();
});

async function world(databaseUrl?: string): Promise<World> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-sse-'));
  const emulator = await startEmulatorIn(root, []);
  const w: World = {
    root,
    emulator,
    configFor: (name) =>
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_DATA_DIR: path.join(root, `data-${name}`),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
      }),
    drop: async () => {
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
  worlds.push(w);
  return w;
}

async function start(config: Config): Promise<SoulSpot> {
  // No safety poll: a change made elsewhere must arrive through NOTIFY (or the local wake-up).
  const s = await startSoulSpot(config, { runWorkers: false, events: { pollMs: 0 } });
  running.push(s);
  return s;
}

async function stop(s: SoulSpot): Promise<void> {
  await s.stop();
  running.splice(running.indexOf(s), 1);
}

async function sse(s: SoulSpot, lastEventId?: number): Promise<SseReader> {
  const r = await openSse(s.url, lastEventId === undefined ? {} : { lastEventId });
  readers.push(r);
  return r;
}

async function api<T>(s: SoulSpot, method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.url}${url}`, {
    method,
    headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}`);
  return (await res.json()) as T;
}

const create = (s: SoulSpot, title: string) =>
  api<DownloadDto>(s, 'POST', '/api/downloads', { artist: 'SSE Artist', title });

const ids = (events: SseEvent[]) => events.map((e) => e.id);

/** What the log holds after `after` up to `upTo`, read from the database itself. */
async function logIds(s: SoulSpot, after: number, upTo: number): Promise<number[]> {
  const rows = await createEventLogRepository(s.db.db).after(after, 10_000);
  return rows.map((r) => r.id).filter((id) => id <= upTo);
}

describe.each(testDialects())('SSE from the event log on %s', (dialect) => {
  const database = async (): Promise<string | undefined> => {
    if (dialect === 'sqlite') return undefined;
    const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    worlds.push({ drop: pg.drop } as World);
    return pg.url;
  };

  it('replays what a client missed across a restart, nothing twice', async () => {
    const w = await world(await database());
    const config = w.configFor('one');
    const first = await start(config);
    const before = await sse(first);
    const connected = await sse(first);
    const x = await create(first, 'Before the restart');
    await before.waitFor((events) => aboutDownload(events, x.id).length > 0);
    before.close();
    const lastSeen = before.lastId!;

    // Missed: made while the client was away, then SoulSpot stops and starts on the same data.
    const y = await create(first, 'While away');
    await stop(first);
    // Streams end at stop (none holds the shutdown); their clients reconnect and replay.
    await connected.ended;
    const second = await start(config);
    const z = await create(second, 'After the restart');

    const after = await sse(second, lastSeen);
    await after.waitFor(
      (events) => aboutDownload(events, y.id).length > 0 && aboutDownload(events, z.id).length > 0,
    );
    const got = after.events;
    expect(got.every((e) => e.id !== null && e.id > lastSeen)).toBe(true);
    expect(aboutDownload(got, x.id)).toEqual([]);
    expect(aboutDownload(got, y.id)[0]).toMatchObject({ event: 'download.updated' });
    expect(JSON.parse(aboutDownload(got, y.id)[0]!.data)).toMatchObject({ title: 'While away' });
    // Exactly the log's events after the last id seen, in order: no gap, no repeat.
    expect(ids(got)).toEqual(await logIds(second, lastSeen, after.lastId!));
    const everything = [...ids(before.events), ...ids(got)];
    expect(new Set(everything).size).toBe(everything.length);
  });

  it('tells a client the log has moved past to reload (reset), then streams live', async () => {
    const w = await world(await database());
    const s = await start(w.configFor('one'));
    const live = await sse(s);
    const made: DownloadDto[] = [];
    for (const t of ['one', 'two', 'three']) made.push(await create(s, t));
    await live.waitFor((events) => aboutDownload(events, made[2]!.id).length > 0);
    const firstId = aboutDownload(live.events, made[0]!.id)[0]!.id!;
    await createEventLogRepository(s.db.db).trimToCount(1);
    const { oldest, latest } = await s.events.bounds();
    expect(oldest).toBe(latest);

    const old = await sse(s, firstId);
    await old.waitFor((events) => events.length >= 1);
    expect(old.events[0]).toMatchObject({ event: 'reset', id: latest });
    expect(JSON.parse(old.events[0]!.data)).toMatchObject({
      lastEventId: firstId,
      oldestEventId: oldest,
    });
    const foreign = await sse(s, latest! + 1_000_000);
    await foreign.waitFor((events) => events.length >= 1);
    expect(foreign.events[0]).toMatchObject({ event: 'reset', id: latest });
    // One before the oldest kept: nothing was lost, so no reset, just the replay.
    const edge = await sse(s, latest! - 1);
    await edge.waitFor((events) => events.length >= 1);
    expect(edge.events[0]).toMatchObject({ id: latest });
    expect(edge.events[0]!.event).not.toBe('reset');

    const next = await create(s, 'four');
    for (const r of [old, foreign, edge]) {
      await r.waitFor((events) => aboutDownload(events, next.id).length > 0);
      expect(r.events.filter((e) => e.event === 'reset').length).toBe(r === edge ? 0 : 1);
      expect(aboutDownload(r.events, next.id)[0]!.id).toBeGreaterThan(latest!);
    }
  });
});

describe.runIf(testDialects().includes('postgres'))(
  'two SoulSpot processes on one PostgreSQL: SSE clients',
  () => {
    it('every process streams every change, whichever process made it, and replays it', async () => {
      const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      worlds.push({ drop: pg.drop } as World);
      const w = await world(pg.url);
      const a = await start(w.configFor('a'));
      const b = await start(w.configFor('b'));
      const from = (await a.events.bounds()).latest ?? 0;
      const onA = await sse(a, from);
      const onB = await sse(b, from);

      const x = await create(a, 'Made through A');
      await onB.waitFor((events) => aboutDownload(events, x.id).length > 0);
      const y = await create(b, 'Made through B');
      await api(b, 'DELETE', `/api/downloads/${x.id}`);
      for (const r of [onA, onB]) {
        await r.waitFor(
          (events) =>
            aboutDownload(events, y.id).length > 0 &&
            aboutDownload(events, x.id).some((e) => JSON.parse(e.data).status === 'cancelled'),
        );
      }
      const cancelled = aboutDownload(onB.events, x.id).find(
        (e) => JSON.parse(e.data).status === 'cancelled',
      )!.id!;
      const upTo = (r: SseReader) => r.events.filter((e) => e.id! <= cancelled);
      // The same events, same ids, same order, on both processes' streams.
      expect(upTo(onA)).toEqual(upTo(onB));
      expect(ids(upTo(onA))).toEqual(await logIds(a, from, cancelled));

      // A client that saw A's stream up to x's creation resumes on B without a gap.
      const seenOnA = aboutDownload(onA.events, x.id)[0]!.id!;
      const resumed = await sse(b, seenOnA);
      await resumed.waitFor((events) => events.some((e) => e.id === cancelled));
      expect(upTo(resumed)).toEqual(upTo(onA).filter((e) => e.id! > seenOnA));
    });
  },
);
