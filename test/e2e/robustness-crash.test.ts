// Issue 3, everything at once: a real SoulSpot process is killed with SIGKILL at random moments while
// peers go offline, reject, fail mid-transfer or sit in their queues, and slskd restarts once.
// Afterwards: nothing lost, nothing filed twice, no source enqueued more often than it should be.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator, PeerBehaviour, SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { listAll, SLSKD_KEY, startEmulatorIn } from '../helpers/stack.js';
import { filesUnder, sha } from '../helpers/files.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the first-choice peer of each track does; every track also has a good, second-ranked peer. */
const KINDS: Array<[string, PeerBehaviour]> = [
  ['not shared', { reject: 'File not shared.' }],
  ['banned', { reject: 'Banned' }],
  ['fails mid-transfer', { failAfterBytes: 8_000 }],
  ['stuck in queue', { stuckInQueue: true }],
  ['goes offline later', {}],
];
const TRACKS = KINDS.length * 2;

describe('kill -9 during a mix of failing peers and an slskd restart', () => {
  let emulator: Emulator | undefined;
  let root: string | undefined;
  afterAll(async () => {
    await emulator?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('loses nothing, files nothing twice, enqueues no source more than it should', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-robust-crash-'));
    const share = path.join(root, 'share');
    const decoy = path.join(root, 'first-choice.flac');
    await makeTone(decoy, { seconds: 3, frequency: 330, format: 'flac' });
    const good: string[] = [];
    const users: SimUser[] = [];
    const remote = (user: string, i: number) =>
      `@@${user}\\Music\\Chaos Unit\\Crash Course\\${String(i + 1).padStart(2, '0')} - Fall ${i}.flac`;
    for (let i = 0; i < TRACKS; i++) {
      good.push(path.join(share, `good-${i}.flac`));
      await makeTone(good[i]!, { seconds: 3, frequency: 800 + 25 * i, format: 'flac' });
      const [, behaviour] = KINDS[i % KINDS.length]!;
      users.push(
        {
          username: `first${i}`,
          behaviour: { ...behaviour, uploadSpeed: 20_000 },
          files: [{ remotePath: remote(`first${i}`, i), localPath: decoy }],
        },
        {
          username: `good${i}`,
          behaviour: { uploadSpeed: 20_000, hasFreeUploadSlot: false },
          files: [{ remotePath: remote(`good${i}`, i), localPath: good[i]! }],
        },
      );
    }
    const emu = await startEmulatorIn(root, users);
    emulator = emu;
    const { url, env, api } = await childSetup(root, emu.url, {
      SOULSPOT_STALL_TIMEOUT_SECONDS: '1',
      SOULSPOT_CIRCUIT_HALF_OPEN_SECONDS: '1',
    });

    let child = spawnSoulSpot(env);
    await waitForHealth(url);
    const started = Date.now();
    const accepted = new Set<string>();
    for (let i = 0; i < TRACKS; i++) {
      const res = await api<DownloadDto>('POST', '/api/downloads', {
        artist: 'Chaos Unit',
        title: `Fall ${i}`,
        album: 'Crash Course',
        trackNumber: i + 1,
        durationSeconds: 3,
      });
      expect(res.status).toBe(201);
      accepted.add(res.body.id);
    }

    let kills = 0;
    let restarted = false;
    let wentOffline = false;
    let items: DownloadDto[] = [];
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      items = await listAll(api);
      if (items.every((d) => d.status === 'completed' || d.status === 'failed')) break;
      if (!wentOffline && Date.now() - started > 1_500) {
        KINDS.forEach(([, b], k) => {
          if (Object.keys(b).length > 0) return;
          for (let i = k; i < TRACKS; i += KINDS.length)
            emu.setBehaviour(`first${i}`, { offline: true });
        });
        wentOffline = true;
      }
      if (kills === 1 && !restarted) {
        await sleep(400);
        await emu.restart();
        restarted = true;
      }
      // A SoulSpot process takes ~3 s to start (tsx), so three kills keep the test short.
      if (kills < 3) {
        await sleep((kills === 0 ? 1_500 : 300) + Math.random() * 1_000);
        await killHard(child);
        kills++;
        child = spawnSoulSpot(env);
        await waitForHealth(url);
      } else {
        await sleep(200);
      }
    }
    await killHard(child);

    expect(kills).toBe(3);
    expect(restarted).toBe(true);
    // 0 lost: every accepted download is there and settled, a failure with its code and reason.
    expect(new Set(items.map((d) => d.id))).toEqual(accepted);
    const unsettled = items.filter((d) => d.status !== 'completed' && d.status !== 'failed');
    expect(unsettled.map((d) => `${d.title}: ${d.status}`)).toEqual([]);
    for (const d of items.filter((x) => x.status === 'failed')) {
      expect(d.errorCode, d.title).toBeTruthy();
      expect(d.errorMessage, d.title).toBeTruthy();
    }
    // Every track had a good source, so every one of them should have made it.
    expect(
      items
        .filter((d) => d.status !== 'completed')
        .map((d) => `${d.title}: ${d.errorCode} ${d.errorMessage}`),
    ).toEqual([]);

    // 0 duplicate files: the library holds exactly the completed downloads' files, right bytes.
    const completed = items.filter((d) => d.status === 'completed');
    expect(filesUnder(path.join(root, 'library')).sort()).toEqual(
      completed.map((d) => d.libraryPath!).sort(),
    );
    for (const d of completed) {
      const i = Number(d.title.split(' ')[1]);
      const expected = d.source?.username === `good${i}` ? good[i]! : decoy;
      expect(sha(d.libraryPath!), d.title).toBe(sha(expected));
    }

    // No source enqueued more than it should be: once, or twice when slskd's restart dropped it.
    const res = await fetch(`${emu.url}/api/v0/transfers/downloads?includeRemoved=true`, {
      headers: { 'x-api-key': SLSKD_KEY },
    });
    const groups = (await res.json()) as Array<{
      directories: Array<{
        files: Array<{ username: string; filename: string; exception?: string }>;
      }>;
    }>;
    const key = (t: { username: string; filename: string }) => `${t.username}|${t.filename}`;
    const dropped = new Set(
      groups
        .flatMap((g) => g.directories.flatMap((d) => d.files))
        .filter((t) => /application shut down/i.test(t.exception ?? ''))
        .map(key),
    );
    const counts = new Map<string, number>();
    for (const e of emu.enqueues) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
    const excess = [...counts]
      .filter(([k, n]) => n > (dropped.has(k) ? 2 : 1))
      .map(([k, n]) => `${k}: ${n} enqueues${dropped.has(k) ? ' (dropped by the restart)' : ''}`);
    expect(excess).toEqual([]);
    console.log(
      `kill -9 mix: ${kills} kills, 1 slskd restart (${dropped.size} transfers dropped), ` +
        `${completed.length}/${items.length} completed, ${emu.enqueues.length} enqueues`,
    );
  });
});
