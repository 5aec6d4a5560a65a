import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { filesUnder } from '../helpers/files.js';
import { gatedTagger } from '../helpers/gated-tagger.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil, waitWithProgress } from '../helpers/wait.js';

const WORDS = ['Alder', 'Basalt', 'Coral', 'Delta', 'Estuary', 'Flint', 'Garnet', 'Heath'];
const MAX_CONCURRENT = 2;
const CAP = 2;

/**
 * The filing backlog cap (docs/architecture.md, "Slots"): while `maxFilingBacklog` downloads
 * wait for a filing slot, no new search or enqueue is claimed; filing goes on and, once it
 * catches up, so do the transfers. Filing is held at a gated tag writer (one filing slot).
 */
describe.each(testDialects())('filing backlog cap on %s', (dialect) => {
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
    'a slow filing holds further transfers at the cap; raising it lets them go; nothing lost or doubled',
    { timeout: 10 * 60_000 },
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'soulspot-filing-backlog-'));
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
          SOULSPOT_MAX_CONCURRENT: String(MAX_CONCURRENT),
          SOULSPOT_MAX_CONCURRENT_FILING: '1',
          SOULSPOT_MAX_FILING_BACKLOG: String(CAP),
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

      // The backlog as the API shows it, sampled every 20 ms while the cap is in force.
      let capInForce = true;
      let maxBacklog = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const { slots } = await s.queueControl.overview();
          if (capInForce) maxBacklog = Math.max(maxBacklog, slots.filingBacklog);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();

      const ids: string[] = [];
      for (const w of WORDS) {
        ids.push(
          (await s.downloads.create({ artist: `Band ${w}`, title: `Song ${w}` })).download.id,
        );
      }
      const mine = async () => {
        const items = (await s.downloads.list({ limit: 100, order: 'oldest' })).items;
        return items.filter((d) => ids.includes(d.id));
      };
      const processing = (items: Awaited<ReturnType<typeof mine>>) =>
        items.filter((d) => d.status === 'processing').length;

      // One file held at the tag writer, the cap's worth waiting behind it: transfers stop.
      await waitWithProgress({
        read: mine,
        done: (items) => g.held() === 1 && processing(items) >= 1 + CAP,
        progress: (items) => items.map((d) => d.status).join(','),
        stallMs: 60_000,
        what: 'the backlog to reach the cap while the first filing is held',
        describe: (items) => items.map((d) => `${d.title}: ${d.status}`).join('\n'),
      });
      // Transfers claimed before the cap was reached may still end (they go on); then nothing
      // new is enqueued for as long as filing is held (2 s, 20 poll intervals).
      await waitUntil(async () => s.runner.activeCount === 0, { what: 'running transfers to end' });
      const enqueuedAtCap = emu.enqueues.length;
      await new Promise((r) => setTimeout(r, 2000));
      expect(emu.enqueues.length).toBe(enqueuedAtCap);
      // A claim is let in below the cap, and at most every transfer slot's claim can be let in
      // at cap - 1: the backlog is bounded by cap + maxConcurrent - 1.
      expect(enqueuedAtCap).toBeGreaterThanOrEqual(1 + CAP);
      expect(enqueuedAtCap).toBeLessThanOrEqual(CAP + MAX_CONCURRENT);
      const held = await mine();
      expect(held.filter((d) => d.status === 'waiting' || d.status === 'searching').length).toBe(
        WORDS.length - enqueuedAtCap,
      );
      const overview = await s.queueControl.overview();
      expect(overview.slots).toMatchObject({
        working: 0,
        filing: 1,
        filingBacklog: processing(held) - 1,
        maxFilingBacklog: CAP,
      });
      expect(overview.slots.filingBacklog).toBeGreaterThanOrEqual(CAP);

      // The cap is live: raised while filing is still held, every other download transfers.
      capInForce = false;
      await s.settings.update({ maxFilingBacklog: 100 });
      await waitWithProgress({
        read: mine,
        done: (items) => emu.enqueues.length === WORDS.length && processing(items) === WORDS.length,
        progress: (items) => items.map((d) => d.status).join(','),
        stallMs: 60_000,
        what: 'every transfer to finish once the cap is raised',
        describe: (items) => items.map((d) => `${d.title}: ${d.status}`).join('\n'),
      });
      expect((await s.queueControl.overview()).slots.filingBacklog).toBe(WORDS.length - 1);

      // Filing catches up once the gate opens; every download is filed exactly once.
      g.open();
      const done = await waitWithProgress({
        read: mine,
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
      expect(emu.enqueues).toHaveLength(WORDS.length);
      expect(new Set(emu.enqueues.map((e) => JSON.stringify(e))).size).toBe(WORDS.length);
      const filed = filesUnder(path.join(root, 'library')).filter((f) => f.endsWith('.flac'));
      expect(filed).toHaveLength(WORDS.length);
      expect(maxBacklog).toBeGreaterThanOrEqual(CAP);
      expect(maxBacklog).toBeLessThanOrEqual(CAP + MAX_CONCURRENT - 1);
      expect((await s.queueControl.overview()).slots.filingBacklog).toBe(0);
    },
  );
});
