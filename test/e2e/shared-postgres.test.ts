import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { buildCatalogue, requestFor } from '../helpers/catalogue.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { filesUnder } from '../helpers/files.js';
import { waitUntil, waitWithProgress } from '../helpers/wait.js';

const onPostgres = testDialects().includes('postgres');

/**
 * What sharing one database must guarantee, whatever the scheduling: the concurrency limit counts
 * the leases of every process, each process gets work while the other holds some, and every
 * download is worked on, enqueued and filed exactly once.
 *
 * "Both processes finished some downloads" is not such a guarantee when both race freely: on a busy
 * machine one process can win every claim. So the test arranges the sharing instead of hoping for
 * it. Every peer first keeps its transfers in its remote queue, so a claimed download holds its
 * lease. A claim is refused once the live leases of ALL processes reach the claiming process's own
 * SOULSPOT_MAX_CONCURRENT: A (limit 2) takes 2; B (limit 4), started afterwards, can take only 2
 * more, although 16 are due. Then the peers let go and everything must finish.
 */
describe.runIf(onPostgres)('two SoulSpot processes sharing one PostgreSQL database', () => {
  const instances: SoulSpot[] = [];
  let emulator: Emulator | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  afterAll(async () => {
    for (const i of instances) await i.stop();
    await emulator?.close();
    await db?.drop();
  });

  // The waits inside follow progress; this outer limit only stops a test that hangs outright.
  it(
    'share the work: limits count both, each holds part, every download done once',
    { timeout: 20 * 60_000 },
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'soulspot-shared-'));
      const catalogue = await buildCatalogue(path.join(root, 'share'), 20);
      for (const u of catalogue.users) u.behaviour = { uploadSpeed: 60_000, stuckInQueue: true };
      emulator = await startEmulatorIn(root, catalogue.users);
      db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      const start = async (name: string, maxConcurrent: number): Promise<SoulSpot> => {
        const config = loadConfig({
          ...fastEnv(root),
          SOULSPOT_DATA_DIR: path.join(root, `data-${name}`),
          SOULSPOT_DATABASE_URL: db!.url,
          SOULSPOT_SLSKD_URL: emulator!.url,
          SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
          SOULSPOT_MAX_CONCURRENT: String(maxConcurrent),
          // A lease outlives any pause a loaded machine gives a process, so neither takes over
          // the other's downloads here (takeover after a crash is the crash tests' subject).
          SOULSPOT_LEASE_SECONDS: '60',
          // Nothing parks: a download waiting in a peer's queue keeps its lease and slot here, so
          // the test can arrange who holds what (parking is test/e2e/slots.test.ts's subject).
          SOULSPOT_MAX_QUEUED_AT_SOURCE: '0',
        });
        // Workers start when the test says so, to set who claims first.
        const soulspot = await startSoulSpot(config, { listen: false, runWorkers: false });
        instances.push(soulspot);
        return soulspot;
      };
      const a = await start('a', 2);
      const b = await start('b', 4);
      const finishedBy = { a: new Set<string>(), b: new Set<string>() };
      a.bus.on('attempt.finished', (e) => finishedBy.a.add(e.downloadId));
      b.bus.on('attempt.finished', (e) => finishedBy.b.add(e.downloadId));
      // The limit is on live leases (each holds a slot row), sampled in the shared database. The
      // runners' job counts are not that measure: a job that gave its lease back with its last
      // write is still in its runner's map for the moment it takes to return.
      let maxActive = 0;
      const sampler = setInterval(() => {
        void a.db.db
          .selectFrom('downloads')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('lease_expires_at', '>', Date.now())
          // Transfer leases: a `processing` one holds a filing slot, limited apart.
          .where('status', '!=', 'processing')
          .executeTakeFirst()
          .then((r) => (maxActive = Math.max(maxActive, Number(r?.n ?? 0))))
          .catch(() => undefined);
      }, 20);

      // Requests arrive at both processes; the same track sent to both is one download.
      for (const [i, t] of catalogue.tracks.entries()) {
        const request = requestFor(t);
        await (i % 2 === 0 ? a : b).downloads.create(request);
        const again = await (i % 2 === 0 ? b : a).downloads.create(request);
        expect(again.created).toBe(false);
      }

      /** Downloads each process holds with a transfer waiting in a peer's queue. */
      const holding = async (): Promise<{ a: number; b: number; queued: number }> => ({
        a: a.runner.activeCount,
        b: b.runner.activeCount,
        queued: (await a.downloads.counts()).queued ?? 0,
      });
      await a.runner.start();
      await waitUntil(
        async () => {
          const h = await holding();
          return h.a === 2 && h.queued === 2;
        },
        { what: 'A to hold 2 downloads queued at their peers (its limit)', timeoutMs: 120_000 },
      );
      await b.runner.start();
      const held = await waitUntil(
        async () => {
          const h = await holding();
          return h.a === 2 && h.b === 2 && h.queued === 4 ? h : null;
        },
        { what: 'B to hold the 2 downloads the shared limit leaves it', timeoutMs: 120_000 },
      );
      // Both hold part of the work at once, and together no more than B's limit of 4 with 16 due.
      expect(held).toEqual({ a: 2, b: 2, queued: 4 });

      for (const u of catalogue.users) emulator.setBehaviour(u.username, { stuckInQueue: false });
      const downloads = async () => (await a.downloads.list({ limit: 500, order: 'oldest' })).items;
      const items = await waitWithProgress({
        read: downloads,
        done: (all) => all.every((d) => d.status === 'completed' || d.status === 'failed'),
        progress: (all) => all.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 120_000,
        what: 'every download to finish',
        describe: (all) =>
          all.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).join('\n'),
      });
      clearInterval(sampler);

      expect(items.map((d) => d.status)).toEqual(catalogue.tracks.map(() => 'completed'));
      // Each download's source was finished by exactly one process, and both processes took part.
      expect(finishedBy.a.size).toBeGreaterThanOrEqual(2);
      expect(finishedBy.b.size).toBeGreaterThanOrEqual(2);
      expect([...finishedBy.a].filter((id) => finishedBy.b.has(id))).toEqual([]);
      expect(finishedBy.a.size + finishedBy.b.size).toBe(catalogue.tracks.length);
      // The limit held across both processes for the whole run.
      expect(maxActive).toBe(4); // reached while the peers held their queues, never passed
      const pairs = emulator.enqueues.map((e) => `${e.username}|${e.filename}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      expect(pairs).toHaveLength(catalogue.tracks.length);
      expect(filesUnder(path.join(root, 'library'))).toHaveLength(catalogue.tracks.length);
    },
  );
});
