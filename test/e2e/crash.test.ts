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
import { sleep, waitWithProgress } from '../helpers/wait.js';

describe('kill -9 at random points during 30 downloads', () => {
  let emulator: Emulator | undefined;
  afterAll(async () => {
    await emulator?.close();
  });

  // The waits inside follow progress; this outer limit only stops a test that hangs outright.
  it(
    'loses nothing, files nothing twice and enqueues nothing twice',
    { timeout: 20 * 60_000 },
    async () => {
      const root = mkdtempSync(path.join(tmpdir(), 'soulspot-crash-'));
      const catalogue = await buildCatalogue(path.join(root, 'share'), 30);
      // Slow peers, so kills land in every phase: search, enqueue, remote queue, transfer, filing.
      for (const u of catalogue.users) u.behaviour = { uploadSpeed: 15_000, remoteQueueMs: 300 };
      emulator = await startEmulatorIn(root, catalogue.users);
      const { url, env, api } = await childSetup(root, emulator.url);

      let child = spawnSoulSpot(env);
      await waitForHealth(url, undefined, child);
      const accepted = new Set<string>();
      for (const t of catalogue.tracks) {
        const res = await api<DownloadDto>('POST', '/api/downloads', requestFor(t));
        expect(res.status).toBe(201);
        accepted.add(res.body.id);
      }

      // Kills happen between looks; the wait follows progress (statuses and bytes of every download),
      // so a slow machine only makes it longer. It gives up after two minutes in which nothing moved.
      let kills = 0;
      const items = await waitWithProgress({
        read: () => listAll(api),
        done: (all) => all.every((d) => d.status === 'completed' || d.status === 'failed'),
        progress: (all) => all.map((d) => `${d.status}:${d.bytesTransferred}`).join(','),
        stallMs: 120_000,
        what: 'every download to finish',
        describe: (all) =>
          all.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).join('\n'),
        between: async () => {
          if (kills >= 12) return;
          await sleep(300 + Math.random() * 1200);
          await killHard(child);
          kills++;
          child = spawnSoulSpot(env);
          await waitForHealth(url, undefined, child);
        },
      });
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
    },
  );
});
