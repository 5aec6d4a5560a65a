import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freeBytes } from './disk.js';
import { createDiskWatcher } from './disk-watcher.js';

describe('disk.low', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-disk-low-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is announced once per crossing of the threshold, with 10% of hysteresis', async () => {
    const free = await freeBytes(dir);
    let threshold = free * 2; // below it now
    const lows: number[] = [];
    const watcher = createDiskWatcher({
      libraryDir: dir,
      minFreeBytes: 0,
      intervalMs: 60_000,
      resume: async () => 0,
      waiting: async () => false,
      onError: (e) => {
        throw e;
      },
      lowBytes: () => threshold,
      onLow: (f, t) => lows.push(t - f),
    });
    await watcher.checkLow();
    await watcher.checkLow();
    expect(lows).toHaveLength(1);
    threshold = Math.floor(free * 0.95); // above it, but not 10% above: still "low"
    await watcher.checkLow();
    threshold = free * 2;
    await watcher.checkLow();
    expect(lows).toHaveLength(1);
    threshold = Math.floor(free / 2); // well above: cleared, and the next drop announces again
    await watcher.checkLow();
    threshold = free * 2;
    await watcher.checkLow();
    expect(lows).toHaveLength(2);
    threshold = 0; // off
    await watcher.checkLow();
    expect(lows).toHaveLength(2);
  });
});
