import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { defaultSettings, type SettingsPatch } from '../../src/settings/settings.definitions.js';
import { createSettingsRepository } from '../../src/settings/settings.repository.js';
import { createSettingsService } from '../../src/settings/settings.service.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const TONE = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'audio', 'tone-a.flac');
const BANDS = ['Aster', 'Bramble', 'Clover', 'Dahlia'];
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/**
 * Settings live in the database: a change written through one process changes what another
 * process DOES, not only what it reports, within about a second (its settings refresh every
 * 500 ms and a change wakes its runner). B is a SoulSpot with workers against the emulator; A
 * writes the change. On PostgreSQL A is a second SoulSpot on the same database, through its
 * PATCH /api/settings. A SQLite database belongs to one SoulSpot process (its data dir also holds
 * the instance id its leases carry, so two processes on one file would free each other's leases
 * at start): there A is a settings service on a second connection to B's file.
 */
describe.each(testDialects())('a setting changed through another process, on %s', (dialect) => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const f of cleanup.reverse()) await f();
  });

  it(
    'B takes more work when A raises maxConcurrent and resumes when A resumes the queue',
    { timeout: 5 * 60_000 },
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'soulspot-live-settings-'));
      cleanup.push(() => rmSync(root, { recursive: true, force: true }));
      // One peer per download, each keeping its upload queued until the test lets go: a claimed
      // download holds its slot (nothing parks), so B's slots in use are visible at the emulator.
      const users: SimUser[] = BANDS.map((band, i) => ({
        username: `peer${i}`,
        behaviour: { stuckInQueue: true, uploadSpeed: 400_000 },
        files: [
          { remotePath: `@@p${i}\\Music\\${band}\\Album\\01 - ${band} Song.flac`, localPath: TONE },
        ],
      }));
      const emulator: Emulator = await startEmulatorIn(root, users);
      cleanup.push(() => emulator.close());
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') {
        const db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
        databaseUrl = db.url;
        cleanup.push(() => db.drop());
      }
      const env = (name: string) => ({
        ...fastEnv(root),
        SOULSPOT_DATA_DIR: path.join(root, `data-${name}`),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '1',
        SOULSPOT_MAX_QUEUED_AT_SOURCE: '0',
        SOULSPOT_STALL_TIMEOUT_SECONDS: '3600',
        ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
      });
      const b: SoulSpot = await startSoulSpot(loadConfig(env('b')), { listen: false });
      cleanup.push(() => b.stop());

      let write: (patch: SettingsPatch) => Promise<void>;
      if (dialect === 'postgres') {
        const a = await startSoulSpot(loadConfig(env('a')), { listen: false, runWorkers: false });
        cleanup.push(() => a.stop());
        write = async (patch) => {
          const res = await a.app.inject({
            method: 'PATCH',
            url: '/api/settings',
            headers: { 'x-api-key': API_KEY },
            payload: patch as object,
          });
          expect(res.statusCode).toBe(200);
        };
      } else {
        const second: DatabaseHandle = await openDatabase({
          url: null,
          sqlitePath: path.join(root, 'data-b', 'soulspot.db'),
        });
        cleanup.push(() => second.close());
        const a = createSettingsService({
          repo: createSettingsRepository(second),
          defaults: defaultSettings(loadConfig(env('a'))),
          now: Date.now,
          log: silent,
        });
        await a.load();
        write = async (patch) => void (await a.update(patch));
      }

      const ids: string[] = [];
      for (const band of BANDS) {
        ids.push((await b.downloads.create({ artist: band, title: `${band} Song` })).download.id);
      }
      const enqueued = (n: number, what: string) =>
        waitUntil(() => emulator.enqueues.length >= n, { what, timeoutMs: 60_000 });
      await enqueued(1, 'B to start its one download');
      expect(b.runner.activeCount).toBe(1);

      // maxConcurrent 1 → 3, written by A: B claims two more downloads.
      let seenAt = 0;
      b.settings.onChange((changed) => {
        if (changed.includes('maxConcurrent')) seenAt = Date.now();
      });
      // Timed from A's answer (the change is committed; B cannot see it earlier): how long the
      // write itself takes is the database's, not the propagation's.
      const patchedAt = Date.now();
      await write({ maxConcurrent: 3 });
      const raisedAt = Date.now();
      const writtenMs = raisedAt - patchedAt;
      await waitUntil(() => b.runner.activeCount === 3, {
        what: 'B to claim up to the raised limit',
        timeoutMs: 30_000,
      });
      const raiseMs = Date.now() - raisedAt;
      const seenMs = seenAt - raisedAt;
      await enqueued(3, 'B to enqueue the two downloads the raised limit lets it start');

      // A pauses the queue; the three running ones are let go and finish (filing finishes), and
      // the fourth does not start until A resumes: its enqueue comes after the resume.
      await write({ queuePaused: true });
      await waitUntil(() => b.settings.get('queuePaused'), { what: 'B to see the pause' });
      for (const u of users) emulator.setBehaviour(u.username, { stuckInQueue: false });
      await waitUntil(
        async () => {
          const done = (await b.downloads.counts()).completed ?? 0;
          return done === 3 && b.runner.activeCount === 0;
        },
        { what: 'the three running downloads to finish while paused', timeoutMs: 60_000 },
      );
      const resumeSentAt = Date.now();
      await write({ queuePaused: false });
      const resumedAt = Date.now();
      await waitUntil(() => b.runner.activeCount === 1 || emulator.enqueues.length === 4, {
        what: 'B to start the fourth download once A resumed the queue',
        timeoutMs: 30_000,
      });
      const resumeMs = Date.now() - resumedAt;
      await enqueued(4, 'the fourth download to be enqueued');
      expect(emulator.enqueues[3]!.at).toBeGreaterThanOrEqual(resumeSentAt);
      await waitUntil(async () => (await b.downloads.counts()).completed === 4, {
        what: 'all four downloads to complete',
        timeoutMs: 60_000,
      });

      const overview = await b.app.inject({
        method: 'GET',
        url: '/api/queue',
        headers: { 'x-api-key': API_KEY },
      });
      expect(overview.json()).toMatchObject({ paused: false, slots: { maxConcurrent: 3 } });
      console.log(
        `live settings on ${dialect}: maxConcurrent raised by A (its PATCH took ${writtenMs} ms; ` +
          `B saw it ${seenMs} ms after, claimed ${raiseMs} ms after); ` +
          `queue resumed by A → B started ${resumeMs} ms after`,
      );
      // B reads the settings every 500 ms: it sees a committed change within about a second.
      // What it then does costs a claim or two, write transactions whose commit a busy database
      // (CI, several suites at once) can stretch to a second each, hence the wider bound.
      expect(seenMs).toBeLessThan(1500);
      expect(raiseMs).toBeLessThan(5000);
      expect(resumeMs).toBeLessThan(5000);
    },
  );
});
