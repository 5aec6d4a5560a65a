import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil, waitWithProgress } from '../helpers/wait.js';

const STUCK = [
  'Amber',
  'Birch',
  'Cedar',
  'Dune',
  'Ember',
  'Fjord',
  'Grove',
  'Heath',
  'Inlet',
  'Jade',
];
const FREE = ['Kestrel', 'Lantern', 'Meadow'];

/**
 * Slots (docs/architecture.md): a download waiting in a peer's queue holds no runner slot. Ten
 * downloads whose peers keep them queued for ever must not stop three others from completing
 * with SOULSPOT_MAX_CONCURRENT=3; the limits are sampled all along, at the database (live leases,
 * parked downloads) and at the emulator (transfers moving bytes).
 */
describe.each(testDialects())('slots on %s', (dialect) => {
  let emulator: Emulator | undefined;
  let soulspot: SoulSpot | undefined;
  let drop: (() => Promise<void>) | undefined;
  let stopSampler: (() => Promise<unknown>) | undefined;
  afterEach(async () => {
    await stopSampler?.();
    await soulspot?.stop();
    await emulator?.close();
    await drop?.();
    soulspot = emulator = drop = undefined;
  });

  async function start(env: Record<string, string>): Promise<SoulSpot> {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-slots-'));
    const file = path.join(root, 'song.flac');
    await makeTone(file, { seconds: 3, format: 'flac' });
    const user = (name: string, word: string, stuck: boolean): SimUser => ({
      username: name,
      behaviour: { uploadSpeed: 40_000, ...(stuck ? { stuckInQueue: true } : {}) },
      files: [
        {
          remotePath: `@@${name}\\Music\\Band ${word}\\Album\\01 - Song ${word}.flac`,
          localPath: file,
        },
      ],
    });
    emulator = await startEmulatorIn(root, [
      ...STUCK.map((w, i) => user(`stuck${i}`, w, true)),
      ...FREE.map((w, i) => user(`free${i}`, w, false)),
    ]);
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = pg.url;
      drop = pg.drop;
    }
    soulspot = await startSoulSpot(
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '3',
        SOULSPOT_STALL_TIMEOUT_SECONDS: '3600',
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
        ...env,
      }),
      { listen: false },
    );
    return soulspot;
  }

  /**
   * Samples the limits every 20 ms until stopped; returns the highest values seen. `leases` are
   * transfer leases (a `processing` download's lease is a filing slot's, limited apart).
   */
  function sample(s: SoulSpot, emu: Emulator) {
    const max = { leases: 0, filing: 0, parked: 0, moving: 0, runner: 0 };
    let on = true;
    const loop = (async () => {
      while (on) {
        const now = Date.now();
        const [live, parked] = await Promise.all([
          s.db.db
            .selectFrom('downloads')
            .select('status')
            .where('lease_expires_at', '>', now)
            .execute(),
          s.db.db
            .selectFrom('downloads')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('source_wait', 'is not', null)
            .where('status', 'in', ['queued', 'downloading'])
            .executeTakeFirstOrThrow(),
        ]);
        const state = (await (await fetch(`${emu.url}/emulator/state`)).json()) as {
          transfers: { byState: Record<string, number> };
        };
        const moving = Object.entries(state.transfers.byState)
          .filter(([k]) => k === 'InProgress' || k === 'Initializing')
          .reduce((n, [, v]) => n + v, 0);
        const filing = live.filter((l) => l.status === 'processing').length;
        max.leases = Math.max(max.leases, live.length - filing);
        max.filing = Math.max(max.filing, filing);
        max.parked = Math.max(max.parked, Number(parked.n));
        max.moving = Math.max(max.moving, moving);
        max.runner = Math.max(max.runner, s.runner.activeCount);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const stop = async () => {
      on = false;
      await loop;
      return max;
    };
    stopSampler = stop;
    return { max, stop };
  }

  const statuses = async (s: SoulSpot) =>
    (await s.downloads.list({ limit: 100, order: 'oldest' })).items;

  it(
    'ten downloads stuck in remote queues do not stop three others; the stall timeout still applies',
    { timeout: 10 * 60_000 },
    async () => {
      // No retry rounds: a timed-out download fails at once (one source each).
      const s = await start({ SOULSPOT_MAX_RETRIES: '0' });
      const sampler = sample(s, emulator!);
      // The stuck ones come first and more urgent: before slots were separate they took all three.
      const stuck: string[] = [];
      for (const w of STUCK) {
        stuck.push(
          (await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}`, priority: 5 }))
            .download.id,
        );
      }
      await waitUntil(
        async () => (await statuses(s)).filter((d) => d.status === 'queued').length >= 3,
        {
          what: 'the first stuck downloads to be queued at their peers',
        },
      );
      const free: string[] = [];
      for (const w of FREE) {
        free.push(
          (await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}` })).download.id,
        );
      }
      const all = await waitWithProgress({
        read: () => statuses(s),
        done: (items) =>
          items.filter((d) => free.includes(d.id)).every((d) => d.status === 'completed') &&
          items.filter((d) => stuck.includes(d.id)).every((d) => d.status === 'queued'),
        progress: (items) => items.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 60_000,
        what: 'the free downloads to complete while the stuck ones wait at their peers',
        describe: (items) =>
          items.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).join('\n'),
      });
      expect(all.filter((d) => free.includes(d.id)).map((d) => d.status)).toEqual([
        'completed',
        'completed',
        'completed',
      ]);
      // Every stuck one was enqueued once and now waits parked, holding no slot.
      await waitUntil(async () => s.runner.activeCount === 0, {
        what: 'every runner slot to be free',
      });
      expect(emulator!.enqueues).toHaveLength(13);

      // Stall detection without a worker: a shorter stall timeout, set while running, fails them.
      await s.settings.update({ stallTimeoutSeconds: 2 });
      const failed = await waitWithProgress({
        read: () => statuses(s),
        done: (items) =>
          items.filter((d) => stuck.includes(d.id)).every((d) => d.status !== 'queued'),
        progress: (items) => items.map((d) => d.status).join(','),
        stallMs: 60_000,
        what: 'the stuck downloads to time out',
      });
      const max = await sampler.stop();
      for (const d of failed.filter((x) => stuck.includes(x.id))) {
        expect([d.status, d.errorCode]).toEqual(['failed', 'queue_timeout']);
      }
      expect(new Set(emulator!.cancels.map((c) => c.username)).size).toBe(10);
      // The limits held all along: at most 3 transfer leases, 2 filing (the default), 3 moving.
      expect(max.leases).toBeLessThanOrEqual(3);
      expect(max.filing).toBeLessThanOrEqual(2);
      expect(max.runner).toBeLessThanOrEqual(3);
      expect(max.moving).toBeLessThanOrEqual(3);
      expect(max.parked).toBeGreaterThanOrEqual(10);
    },
  );

  it(
    'maxQueuedAtSource bounds parked downloads and a raised value applies while running',
    { timeout: 10 * 60_000 },
    async () => {
      const s = await start({ SOULSPOT_MAX_QUEUED_AT_SOURCE: '4' });
      const sampler = sample(s, emulator!);
      for (const w of STUCK) {
        await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}`, priority: 5 });
      }
      const free: string[] = [];
      for (const w of FREE) {
        free.push(
          (await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}` })).download.id,
        );
      }
      // 4 park; 3 more follow their queued transfers in the 3 slots, so nothing else can start.
      await waitUntil(
        async () => {
          const items = await statuses(s);
          return (
            items.filter((d) => d.status === 'queued').length === 7 && s.runner.activeCount === 3
          );
        },
        { what: '4 parked and 3 slots holding queued transfers', timeoutMs: 120_000 },
      );
      expect((await statuses(s)).filter((d) => free.includes(d.id)).map((d) => d.status)).toEqual([
        'waiting',
        'waiting',
        'waiting',
      ]);
      // Read now, not from the sampler: its last sample may predate the fourth park (loaded CI).
      const parkedNow = await s.db.db
        .selectFrom('downloads')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('source_wait', 'is not', null)
        .where('status', 'in', ['queued', 'downloading'])
        .executeTakeFirstOrThrow();
      expect(Number(parkedNow.n)).toBe(4);
      expect(sampler.max.parked).toBeLessThanOrEqual(4);
      await s.settings.update({ maxQueuedAtSource: 50 });
      await waitWithProgress({
        read: () => statuses(s),
        done: (items) =>
          items.filter((d) => free.includes(d.id)).every((d) => d.status === 'completed'),
        progress: (items) => items.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 60_000,
        what: 'the free downloads to complete once the held ones can park',
      });
      const max = await sampler.stop();
      expect(max.leases).toBeLessThanOrEqual(3);
      expect(max.moving).toBeLessThanOrEqual(3);
    },
  );
});
