// SIGTERM with downloads in flight: SoulSpot exits 0 within 10 s, hands every download back (no
// live lease left in the database), and a restarted SoulSpot completes them all without asking slskd
// for any file twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator, SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { listAll, startEmulatorIn } from '../helpers/stack.js';
import { sha } from '../helpers/files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TRACKS = 4;

describe('SIGTERM with downloads in flight', () => {
  let emulator: Emulator | undefined;
  let root: string | undefined;
  let child: ReturnType<typeof spawnSoulSpot> | undefined;
  afterAll(async () => {
    if (child) await killHard(child);
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('exits 0 within 10 s, leaves no live lease, and a restart completes everything', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-shutdown-'));
    const files: string[] = [];
    const users: SimUser[] = [];
    for (let i = 0; i < TRACKS; i++) {
      files.push(path.join(root, 'share', `t${i}.flac`));
      await makeTone(files[i]!, { seconds: 3, frequency: 900 + 20 * i, format: 'flac' });
      users.push({
        username: `peer${i}`,
        // About 3 s a file: SIGTERM lands mid-transfer.
        behaviour: { uploadSpeed: 10_000 },
        files: [
          {
            remotePath: `@@p${i}\\Music\\Graceful Exit\\Last Call\\0${i + 1} - Goodnight ${i}.flac`,
            localPath: files[i]!,
          },
        ],
      });
    }
    const emu = await startEmulatorIn(root, users);
    emulator = emu;
    const { url, env, api } = await childSetup(root, emu.url, {
      // Long leases: a lease left behind would still be live when the database is read.
      SOULSPOT_LEASE_SECONDS: '60',
    });

    child = spawnSoulSpot(env);
    await waitForHealth(url);
    for (let i = 0; i < TRACKS; i++) {
      const res = await api<DownloadDto>('POST', '/api/downloads', {
        artist: 'Graceful Exit',
        title: `Goodnight ${i}`,
        album: 'Last Call',
        trackNumber: i + 1,
        durationSeconds: 3,
      });
      expect(res.status).toBe(201);
    }
    const deadline = Date.now() + 15_000;
    let items: DownloadDto[] = [];
    for (;;) {
      items = await listAll(api);
      if (items.filter((d) => d.status === 'downloading' && d.bytesTransferred > 0).length >= 3)
        break;
      if (Date.now() > deadline) throw new Error('transfers did not get going');
      await sleep(50);
    }

    const sentAt = Date.now();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child!.once('exit', (code, signal) => resolve({ code, signal })),
    );
    child.kill('SIGTERM');
    const result = await Promise.race([exited, sleep(12_000).then(() => null)]);
    expect(result, 'SoulSpot did not exit within 12 s of SIGTERM').not.toBeNull();
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(result).toEqual({ code: 0, signal: null });

    // No download row keeps a live lease: all were handed back to the queue.
    const db = new Database(path.join(root, 'data', 'soulspot.db'), { readonly: true });
    const rows = db
      .prepare('SELECT id, status, lease_owner, lease_expires_at FROM downloads')
      .all() as Array<{
      id: string;
      status: string;
      lease_owner: string | null;
      lease_expires_at: number | null;
    }>;
    db.close();
    expect(rows).toHaveLength(TRACKS);
    const now = Date.now();
    const live = rows.filter((r) => r.lease_expires_at !== null && r.lease_expires_at > now);
    expect(live).toEqual([]);
    expect(rows.filter((r) => r.lease_owner !== null)).toEqual([]);
    expect(rows.filter((r) => r.status === 'completed').length).toBeLessThan(TRACKS);

    child = spawnSoulSpot(env);
    await waitForHealth(url);
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      items = await listAll(api);
      if (items.every((d) => d.status === 'completed' || d.status === 'failed')) break;
      await sleep(100);
    }
    expect(items.map((d) => `${d.title}: ${d.status} ${d.errorMessage ?? ''}`).sort()).toEqual(
      Array.from({ length: TRACKS }, (_, i) => `Goodnight ${i}: completed `),
    );
    for (const d of items) {
      expect(sha(d.libraryPath!)).toBe(sha(files[Number(d.title.split(' ')[1])]!));
    }
    // The transfers kept running at slskd while SoulSpot was away; the restart adopted them.
    const pairs = emu.enqueues.map((e) => `${e.username}|${e.filename}`);
    expect(pairs.length - new Set(pairs).size).toBe(0);
  });
});
