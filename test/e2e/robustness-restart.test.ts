// Issue 3, slskd restarting mid-transfer: slskd marks every unfinished transfer "Completed, Errored"
// / "Application shut down" and does not resume it. SoulSpot must enqueue each dropped file again
// from the same source, exactly once, and file every track once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { listAll, SLSKD_KEY, startStack, type Stack } from '../helpers/stack.js';
import { filesUnder, sha } from '../helpers/files.js';
import { waitWithProgress } from '../helpers/wait.js';

const TRACKS = 4;

interface SlskdTransfer {
  id: string;
  username: string;
  filename: string;
  state: string;
  exception?: string;
}

describe('slskd restart while several transfers are in progress', () => {
  let dir: string;
  let stack: Stack | undefined;
  const files: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-robust-restart-'));
    for (let i = 0; i < TRACKS; i++) {
      files.push(path.join(dir, `t${i}.flac`));
      await makeTone(files[i]!, { seconds: 3, frequency: 700 + 30 * i, format: 'flac' });
    }
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const remote = (user: string, i: number): string =>
    `@@${user}\\Music\\Restart Ensemble\\Reboot (2020)\\0${i + 1} - Power Cycle ${i}.flac`;

  it('enqueues each dropped file again exactly once and files every track once', async () => {
    const users: SimUser[] = files.flatMap((localPath, i) => [
      // About 2 s a file, so the restart lands mid-transfer.
      {
        username: `main${i}`,
        behaviour: { uploadSpeed: 15_000 },
        files: [{ remotePath: remote(`main${i}`, i), localPath }],
      },
      {
        username: `alt${i}`,
        behaviour: { uploadSpeed: 15_000, hasFreeUploadSlot: false },
        files: [{ remotePath: remote(`alt${i}`, i), localPath }],
      },
    ]);
    stack = await startStack({ users, env: { SOULSPOT_MAX_CONCURRENT: String(TRACKS) } });
    const s = stack;
    for (let i = 0; i < TRACKS; i++) {
      const res = await s.api('POST', '/api/downloads', {
        artist: 'Restart Ensemble',
        title: `Power Cycle ${i}`,
        album: 'Reboot',
        trackNumber: i + 1,
        durationSeconds: 3,
      });
      expect(res.status).toBe(201);
    }
    // Waits follow progress (statuses, bytes): a slow machine is slow, not failed; only a run that
    // stops moving for the stall time fails.
    const progress = (items: DownloadDto[]) =>
      items.map((d) => `${d.status}:${d.bytesTransferred}:${d.attempts.length}`).join(',');
    await waitWithProgress({
      read: () => listAll(s.api),
      done: (items) =>
        items.filter((d) => d.status === 'downloading' && d.bytesTransferred > 0).length >= 3,
      progress,
      stallMs: 15_000,
      intervalMs: 50,
      what: 'three transfers moving bytes',
    });
    await s.emulator.restart();

    const done: DownloadDto[] = await waitWithProgress({
      read: () => listAll(s.api),
      done: (items) => items.every((d) => d.status === 'completed' || d.status === 'failed'),
      progress,
      stallMs: 15_000,
      what: 'every download finished after the slskd restart',
      describe: (items) => items.map((d) => `${d.title}: ${d.status}`).join('\n'),
    });
    expect(done.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).sort()).toEqual(
      Array.from({ length: TRACKS }, (_, i) => `Power Cycle ${i}: completed `),
    );

    // Which transfers the restart dropped, as slskd recorded them.
    const res = await fetch(`${s.emulator.url}/api/v0/transfers/downloads?includeRemoved=true`, {
      headers: { 'x-api-key': SLSKD_KEY },
    });
    const groups = (await res.json()) as Array<{
      directories: Array<{ files: SlskdTransfer[] }>;
    }>;
    const records = groups.flatMap((g) => g.directories.flatMap((d) => d.files));
    const key = (t: { username: string; filename: string }) => `${t.username}|${t.filename}`;
    const dropped = new Set(
      records.filter((t) => /application shut down/i.test(t.exception ?? '')).map(key),
    );
    expect(dropped.size, 'transfers the restart dropped').toBeGreaterThanOrEqual(3);

    const counts = new Map<string, number>();
    for (const e of s.emulator.enqueues) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
    const expected = new Map<string, number>();
    for (let i = 0; i < TRACKS; i++) {
      const k = key({ username: `main${i}`, filename: remote(`main${i}`, i) });
      expected.set(k, dropped.has(k) ? 2 : 1);
    }
    // 2 for each dropped file, 1 for the rest, and the alternatives never asked for.
    expect(Object.fromEntries(counts)).toEqual(Object.fromEntries(expected));

    for (const d of done) {
      expect(d.source?.username).toBe(`main${d.title.split(' ').at(-1)}`);
      expect(d.retryCount).toBe(0);
      expect(sha(d.libraryPath!)).toBe(sha(files[Number(d.title.split(' ').at(-1))]!));
    }
    const library = filesUnder(s.config.libraryDir).sort();
    expect(library).toEqual(done.map((d) => d.libraryPath!).sort());
  });
});
