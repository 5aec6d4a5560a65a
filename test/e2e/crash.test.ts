import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { buildCatalogue, requestFor } from '../helpers/catalogue.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { listAll, startEmulatorIn } from '../helpers/stack.js';
import { filesUnder, sha } from '../helpers/files.js';

describe('kill -9 at random points during 30 downloads', () => {
  let emulator: Emulator | undefined;
  afterAll(async () => {
    await emulator?.close();
  });

  it('loses nothing, files nothing twice and enqueues nothing twice', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-crash-'));
    const catalogue = await buildCatalogue(path.join(root, 'share'), 30);
    // Slow peers, so kills land in every phase: search, enqueue, remote queue, transfer, filing.
    for (const u of catalogue.users) u.behaviour = { uploadSpeed: 15_000, remoteQueueMs: 300 };
    emulator = await startEmulatorIn(root, catalogue.users);
    const { url, env, api } = await childSetup(root, emulator.url);

    let child = spawnSoulSpot(env);
    await waitForHealth(url);
    const accepted = new Set<string>();
    for (const t of catalogue.tracks) {
      const res = await api<DownloadDto>('POST', '/api/downloads', requestFor(t));
      expect(res.status).toBe(201);
      accepted.add(res.body.id);
    }

    let kills = 0;
    const deadline = Date.now() + 120_000;
    let items: DownloadDto[] = [];
    while (Date.now() < deadline) {
      items = await listAll(api);
      if (items.every((d) => d.status === 'completed' || d.status === 'failed')) break;
      if (kills < 12) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 1200));
        await killHard(child);
        kills++;
        child = spawnSoulSpot(env);
        await waitForHealth(url);
      } else {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    await killHard(child);

    expect(kills).toBeGreaterThanOrEqual(5);
    // 0 lost: every accepted download is there and completed.
    expect(new Set(items.map((d) => d.id))).toEqual(accepted);
    const unfinished = items.filter((d) => d.status !== 'completed');
    expect(unfinished.map((d) => `${d.title}: ${d.status} ${d.errorMessage}`)).toEqual([]);
    // 0 duplicate files: exactly one library file per track, with the right bytes.
    const library = filesUnder(path.join(root, 'library'));
    expect(library).toHaveLength(catalogue.tracks.length);
    for (const t of catalogue.tracks) {
      const d = items.find((x) => x.title === t.title)!;
      expect(statSync(d.libraryPath!).isFile()).toBe(true);
      expect(sha(d.libraryPath!)).toBe(sha(t.expected.localPath));
    }
    // 0 duplicate enqueues at slskd.
    const pairs = emulator.enqueues.map((e) => `${e.username}|${e.filename}`);
    expect(pairs.length - new Set(pairs).size).toBe(0);
    console.log(
      `kill -9 battery: ${kills} kills, ${items.length} downloads completed, ${pairs.length} enqueues, 0 duplicates`,
    );
  });
});
