import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { sha } from '../helpers/files.js';

describe('slskd behaviours SoulSpot must read right', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  const twoSources = async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-retry-'));
    const main = path.join(dir, 'main.flac');
    const backup = path.join(dir, 'backup.flac');
    await makeTone(main, { seconds: 4, frequency: 700, format: 'flac' });
    await makeTone(backup, { seconds: 4, frequency: 800, format: 'flac' });
    const file = (user: string) =>
      `@@${user}\\Music\\Night Ferry\\Harbor Lights (2010)\\03 - Slow Tide.flac`;
    return { main, backup, file };
  };

  it('follows a transfer slskd retries by itself instead of abandoning the source', async () => {
    const { main, backup, file } = await twoSources();
    const half = Math.floor(statSync(main).size / 2);
    stack = await startStack({
      users: [
        {
          username: 'flaky',
          files: [{ remotePath: file('flaky'), localPath: main }],
          behaviour: { uploadSpeed: 400_000, failAfterBytes: half },
        },
        {
          username: 'backup',
          files: [{ remotePath: file('backup'), localPath: backup }],
          behaviour: { uploadSpeed: 100_000 },
        },
      ],
      // slskd 0.26: a failed transfer is saved "Completed, Errored", then flips back to "Queued,
      // Locally" and resumes the partial file.
      emulator: { retry: { attempts: 3, delayMs: 150 } },
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Night Ferry',
      title: 'Slow Tide',
      album: 'Harbor Lights',
    });
    await stack.waitFor((items) =>
      items.some(
        (d) => d.id === created.body.id && (d.status === 'completed' || d.status === 'failed'),
      ),
    );
    const d = (await stack.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
    expect(d.status).toBe('completed');
    expect(d.attempts.map((a) => [a.username, a.outcome])).toEqual([['flaky', 'succeeded']]);
    expect(sha(d.libraryPath!)).toBe(sha(main));
    // One enqueue: slskd's own retry was adopted, not answered with a second source or request.
    expect(stack.emulator.enqueues.map((e) => e.username)).toEqual(['flaky']);
  });

  it('shows the place in the remote queue while queued', async () => {
    const { main, file } = await twoSources();
    stack = await startStack({
      users: [
        {
          username: 'popular',
          files: [{ remotePath: file('popular'), localPath: main }],
          behaviour: { queueLength: 6, remoteQueueMs: 2500, hasFreeUploadSlot: false },
        },
      ],
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Night Ferry',
      title: 'Slow Tide',
    });
    const positions = new Set<number>();
    const off = stack.soulspot.bus.on('download.updated', (u) => {
      if (u.id === created.body.id && u.queuePosition !== null) positions.add(u.queuePosition);
    });
    await stack.waitFor((items) =>
      items.some((x) => x.id === created.body.id && x.status === 'completed'),
    );
    off();
    expect(positions.size).toBeGreaterThan(0);
    expect([...positions].every((p) => p >= 0 && p <= 6)).toBe(true);
    const done = (await stack.api<DownloadDto>('GET', `/api/downloads/${created.body.id}`)).body;
    expect(done.queuePosition).toBeNull();
  });
});
