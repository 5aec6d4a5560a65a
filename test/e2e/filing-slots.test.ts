import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { gatedTagger } from '../helpers/gated-tagger.js';
import { filesUnder } from '../helpers/files.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil, waitWithProgress } from '../helpers/wait.js';

const WORDS = ['Alder', 'Basalt', 'Coral', 'Delta', 'Estuary', 'Flint'];

/**
 * Filing has slots of its own (docs/architecture.md, "Slots"): a transfer's end frees its
 * transfer slot in the commit that records it, so a file whose filing is slow does not keep the
 * next download from being enqueued, and `maxConcurrentFiling` bounds the filings, live.
 */
describe.each(testDialects())('filing slots on %s', (dialect) => {
  let emulator: Emulator | undefined;
  let soulspot: SoulSpot | undefined;
  let drop: (() => Promise<void>) | undefined;
  let gate: ReturnType<typeof gatedTagger> | undefined;
  afterEach(async () => {
    gate?.open();
    await soulspot?.stop();
    await emulator?.close();
    await drop?.();
    soulspot = emulator = drop = gate = undefined;
  });

  it(
    'a held filing does not stop the next transfers; the filing limit holds and applies live',
    { timeout: 10 * 60_000 },
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'soulspot-filing-slots-'));
      const file = path.join(root, 'song.flac');
      await makeTone(file, { seconds: 2, format: 'flac' });
      const users: SimUser[] = WORDS.map((w, i) => ({
        username: `peer${i}`,
        behaviour: { uploadSpeed: 200_000 },
        files: [
          {
            remotePath: `@@p${i}\\Music\\Band ${w}\\Album\\01 - Song ${w}.flac`,
            localPath: file,
          },
        ],
      }));
      emulator = await startEmulatorIn(root, users);
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') {
        const pg = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
        databaseUrl = pg.url;
        drop = pg.drop;
      }
      gate = gatedTagger();
      const s = await startSoulSpot(
        loadConfig({
          ...fastEnv(root),
          SOULSPOT_SLSKD_URL: emulator.url,
          SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
          SOULSPOT_MAX_CONCURRENT: '2',
          SOULSPOT_MAX_CONCURRENT_FILING: '1',
          SOULSPOT_MAX_RETRIES: '0',
          // Tags on: every file's filing waits at the gated tag writer.
          SOULSPOT_TAG_FILES: 'true',
          ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
        }),
        { listen: false, tagger: gate.tagger },
      );
      soulspot = s;
      const emu = emulator;
      const g = gate;

      // The limits, sampled every 20 ms: leases by pool at the database, jobs by pool in the
      // runner, transfers moving at the emulator, filings inside the tag writer.
      let filingLimit = 1;
      const max = { transferLeases: 0, filingLeases: 0, transferJobs: 0, filingJobs: 0, moving: 0 };
      let overFilingLimit = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const limitBefore = filingLimit;
          const leases = await s.db.db
            .selectFrom('downloads')
            .select('status')
            .where('lease_expires_at', '>', Date.now())
            .execute();
          const state = (await (await fetch(`${emu.url}/emulator/state`)).json()) as {
            transfers: { byState: Record<string, number> };
          };
          const filing = leases.filter((l) => l.status === 'processing').length;
          const moving = Object.entries(state.transfers.byState)
            .filter(([k]) => k === 'InProgress' || k === 'Initializing')
            .reduce((n, [, v]) => n + v, 0);
          max.transferLeases = Math.max(max.transferLeases, leases.length - filing);
          max.filingLeases = Math.max(max.filingLeases, filing);
          max.transferJobs = Math.max(max.transferJobs, s.runner.activeCount);
          max.filingJobs = Math.max(max.filingJobs, s.runner.filingCount);
          max.moving = Math.max(max.moving, moving);
          // Judged against the limit in force for the whole sample (it is raised once, below).
          if (limitBefore === filingLimit && (filing > filingLimit || g.held() > filingLimit))
            overFilingLimit++;
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const ids: string[] = [];
      for (const w of WORDS) {
        ids.push(
          (await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}` })).download.id,
        );
      }
      const byStatus = async () => {
        const items = (await s.downloads.list({ limit: 100, order: 'oldest' })).items;
        return items.filter((d) => ids.includes(d.id));
      };

      // While the first file's filing is held, every other download is enqueued and transferred:
      // all six transfers done, one filing held at the tag writer, five waiting for a filing slot.
      const held = await waitWithProgress({
        read: byStatus,
        done: (items) =>
          g.held() === 1 &&
          emu.enqueues.length === WORDS.length &&
          items.every((d) => d.status === 'processing'),
        progress: (items) => items.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 60_000,
        what: 'every transfer to finish while the first filing is held',
        describe: (items) => items.map((d) => `${d.title}: ${d.status}`).join('\n'),
      });
      expect(held.map((d) => d.status)).toEqual(WORDS.map(() => 'processing'));
      expect(s.runner.filingCount).toBe(1);
      // The transfer slots are free: nothing holds one while the files wait to be filed.
      expect(s.runner.activeCount).toBe(0);
      const overview = await s.queueControl.overview();
      expect(overview.slots).toMatchObject({ filing: 1, maxConcurrentFiling: 1, working: 0 });

      // A raised limit applies while running: three filings at the tag writer at once.
      filingLimit = 3;
      await s.settings.update({ maxConcurrentFiling: 3 });
      await waitUntil(() => g.held() === 3, { what: 'three filings held at once' });
      g.open();
      const done = await waitWithProgress({
        read: byStatus,
        done: (items) => items.every((d) => d.status === 'completed'),
        progress: (items) => items.map((d) => d.status).join(','),
        stallMs: 60_000,
        what: 'every download to be filed once the gate opens',
        describe: (items) =>
          items.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).join('\n'),
      });
      sampling = false;
      await sampler;

      expect(done.map((d) => d.status)).toEqual(WORDS.map(() => 'completed'));
      // Each enqueued once, each filed once.
      expect(emu.enqueues).toHaveLength(WORDS.length);
      const filed = filesUnder(path.join(root, 'library')).filter((f) => f.endsWith('.flac'));
      expect(filed).toHaveLength(WORDS.length);
      expect(overFilingLimit).toBe(0);
      expect(g.maxHeld()).toBe(3);
      expect(max.filingLeases).toBeLessThanOrEqual(3);
      expect(max.filingJobs).toBeLessThanOrEqual(3);
      expect(max.transferLeases).toBeLessThanOrEqual(2);
      expect(max.transferJobs).toBeLessThanOrEqual(2);
      expect(max.moving).toBeLessThanOrEqual(2);
    },
  );
});
