import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { makeTone } from '../helpers/audio.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';

describe('per-peer slots', () => {
  let emulator: Emulator | undefined;
  let soulspot: SoulSpot | undefined;
  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
  });

  it('a download waiting for a busy peer does not sit on the only slot the busy one needs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-slots-'));
    const file = path.join(root, 'a.flac');
    await makeTone(file, { seconds: 3, format: 'flac' });
    const remote = (n: number, t: string) => `@@al\\Music\\Only Alice\\Solo\\0${n} - ${t}.flac`;
    emulator = await startEmulatorIn(root, [
      {
        username: 'alice',
        behaviour: { uploadSpeed: 12_000 },
        files: [
          { remotePath: remote(1, 'First Song'), localPath: file },
          { remotePath: remote(2, 'Second Song'), localPath: file },
        ],
      },
    ]);
    const config = (workers: boolean) =>
      loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator!.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
        SOULSPOT_MAX_CONCURRENT: '1',
        SOULSPOT_PORT: '0',
        ...(workers ? {} : { SOULSPOT_LOG_LEVEL: 'silent' }),
      });

    // 1. The first song starts at alice, then SoulSpot stops (its transfer goes on at slskd).
    soulspot = await startSoulSpot(config(true), { listen: false });
    const first = await soulspot.downloads.create({ artist: 'Only Alice', title: 'First Song' });
    for (let i = 0; i < 100; i++) {
      if ((await soulspot.downloads.get(first.download.id)).status === 'downloading') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await soulspot.stop();
    // 2. A more urgent song for the same peer arrives while nothing works the queue.
    soulspot = await startSoulSpot(config(false), { listen: false, runWorkers: false });
    const second = await soulspot.downloads.create({
      artist: 'Only Alice',
      title: 'Second Song',
      priority: 10,
    });
    await soulspot.stop();
    // 3. One slot: the urgent one is claimed first and finds alice busy. It must give the slot back
    //    so the first can finish and free alice.
    soulspot = await startSoulSpot(config(true), { listen: false });
    const deadline = Date.now() + 20_000;
    let statuses: string[] = [];
    while (Date.now() < deadline) {
      statuses = [
        (await soulspot.downloads.get(first.download.id)).status,
        (await soulspot.downloads.get(second.download.id)).status,
      ];
      if (statuses.every((s) => s === 'completed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses).toEqual(['completed', 'completed']);
    expect(emulator.enqueues.map((e) => e.filename)).toEqual([
      remote(1, 'First Song'),
      remote(2, 'Second Song'),
    ]);
  });
});
