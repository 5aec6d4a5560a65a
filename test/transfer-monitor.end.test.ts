import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/types.js';
import { createTransferMonitor } from '../src/downloads/transfer-monitor.js';
import { createSlskdProvider } from '../src/providers/slskd/slskd.provider.js';
import { slskdSettings } from '../src/providers/slskd/slskd.settings.js';
import { SLSKD_KEY, startEmulatorIn } from './helpers/stack.js';
import { waitUntil } from './helpers/wait.js';

const FILE = path.join(import.meta.dirname, '..', 'fixtures', 'audio', 'tone-a.flac');
const SIZE = statSync(FILE).size;
/** A regular cycle alone would see an end up to a whole second late. */
const POLL_MS = 1000;

/**
 * The monitor looks at a moving transfer's predicted end (bytes left at its average speed) instead
 * of only every poll interval: the slot a transfer frees is refilled only once its end is seen.
 */
describe('transfer monitor at a transfer end', () => {
  let root: string | undefined;
  let emulator: Emulator | undefined;
  let stop: (() => void) | undefined;
  afterEach(async () => {
    stop?.();
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
    root = emulator = stop = undefined;
  });

  it('sees transfers end within a fraction of the poll interval, with few extra list requests', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-monitor-'));
    const peers = ['p0', 'p1', 'p2'];
    // 3 transfers of about 2.3, 2.9 and 3.6 s: each is read moving at least once by a regular
    // cycle (its speed known), and their ends fall at different points of the interval.
    const speeds = [SIZE / 2.3, SIZE / 2.9, SIZE / 3.6].map(Math.round);
    emulator = await startEmulatorIn(
      root,
      peers.map((username, i) => ({
        username,
        behaviour: { uploadSpeed: speeds[i]!, latencyMs: 10 },
        files: [
          { remotePath: `@@${username}\\Music\\Band\\Album\\01 - Song.flac`, localPath: FILE },
        ],
      })),
    );
    const provider = createSlskdProvider(slskdSettings({ url: emulator.url, apiKey: SLSKD_KEY }));
    const monitor = createTransferMonitor({ provider, pollIntervalMs: POLL_MS });
    stop = () => monitor.stop();
    const seenAt = new Map<string, number>();
    const unwatch: Array<() => void> = [];
    for (const username of peers) {
      const transfer = await provider.enqueue({
        batchId: randomUUID(),
        username,
        filename: `@@${username}\\Music\\Band\\Album\\01 - Song.flac`,
        size: SIZE,
      });
      unwatch.push(
        monitor.watch(transfer.id, (u) => {
          if (u.kind === 'status' && u.transfer.state === 'succeeded' && !seenAt.has(transfer.id))
            seenAt.set(transfer.id, Date.now());
        }),
      );
    }
    await waitUntil(() => seenAt.size === peers.length, {
      what: 'every transfer end seen',
      timeoutMs: 30_000,
    });
    for (const u of unwatch) u();
    const res = await fetch(`${emulator.url}/api/v0/transfers/downloads`, {
      headers: { 'x-api-key': SLSKD_KEY },
    });
    const users = (await res.json()) as Array<{
      directories: Array<{ files: Array<{ id: string; endedAt: string }> }>;
    }>;
    const lags = users.flatMap((u) =>
      u.directories.flatMap((d) =>
        d.files.map((f) => seenAt.get(f.id)! - Date.parse(f.endedAt.replace(/Z?$/, 'Z'))),
      ),
    );
    expect(lags).toHaveLength(3);
    // With the regular cycle alone the lags would spread over 0–1,000 ms; each end is seen soon
    // after it happened (the bound leaves room for a loaded machine).
    for (const lag of lags) expect(lag).toBeLessThan(400);
    // The early looks are bounded: a handful per transfer end, never one per emulator tick.
    const lists = emulator.requestCounts['GET /transfers/downloads'] ?? 0;
    expect(lists).toBeLessThan(20);
  });
});
