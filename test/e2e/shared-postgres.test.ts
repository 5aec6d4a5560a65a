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

const onPostgres = testDialects().includes('postgres');

// Runs wherever PostgreSQL is reachable (always in CI); global setup says so when it is not.
describe.runIf(onPostgres)('two SoulSpot processes sharing one PostgreSQL database', () => {
  const instances: SoulSpot[] = [];
  let emulator: Emulator | undefined;
  let db: { url: string; drop(): Promise<void> } | undefined;
  afterAll(async () => {
    for (const i of instances) await i.stop();
    await emulator?.close();
    await db?.drop();
  });

  it('split the work: every download done once, nothing enqueued or filed twice, limits held together', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-shared-'));
    const catalogue = await buildCatalogue(path.join(root, 'share'), 20);
    for (const u of catalogue.users) u.behaviour = { uploadSpeed: 60_000 };
    emulator = await startEmulatorIn(root, catalogue.users);
    db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    for (const name of ['a', 'b']) {
      const config = loadConfig({
        ...fastEnv(root),
        SOULSPOT_DATA_DIR: path.join(root, `data-${name}`),
        SOULSPOT_DATABASE_URL: db.url,
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '4',
      });
      instances.push(await startSoulSpot(config, { listen: false }));
    }
    const [a, b] = instances as [SoulSpot, SoulSpot];
    const finishedBy = { a: 0, b: 0 };
    a.bus.on('attempt.finished', () => finishedBy.a++);
    b.bus.on('attempt.finished', () => finishedBy.b++);
    let maxActive = 0;
    const sampler = setInterval(() => {
      maxActive = Math.max(maxActive, a.runner.activeCount + b.runner.activeCount);
    }, 20);
    // Requests arrive at both processes; the same track sent to both is one download.
    for (const [i, t] of catalogue.tracks.entries()) {
      const request = requestFor(t);
      await (i % 2 === 0 ? a : b).downloads.create(request);
      const again = await (i % 2 === 0 ? b : a).downloads.create(request);
      expect(again.created).toBe(false);
    }
    const deadline = Date.now() + 60_000;
    let counts: Record<string, number> = {};
    while (Date.now() < deadline) {
      counts = await a.downloads.counts();
      if ((counts.completed ?? 0) + (counts.failed ?? 0) === catalogue.tracks.length) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    clearInterval(sampler);
    expect(counts).toEqual({ completed: catalogue.tracks.length });
    // Both processes did part of the work, and together each source exactly once.
    expect(finishedBy.a).toBeGreaterThan(0);
    expect(finishedBy.b).toBeGreaterThan(0);
    expect(finishedBy.a + finishedBy.b).toBe(catalogue.tracks.length);
    // The global limit of 4 held across both processes.
    expect(maxActive).toBeLessThanOrEqual(4);
    const pairs = emulator.enqueues.map((e) => `${e.username}|${e.filename}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs).toHaveLength(catalogue.tracks.length);
    expect(filesUnder(path.join(root, 'library'))).toHaveLength(catalogue.tracks.length);
  });
});
