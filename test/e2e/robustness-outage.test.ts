// Issue 3, slskd unavailable for a while: unreachable (stop/start) or not logged in to Soulseek.
// Downloads in flight and downloads still waiting to search must all survive it without failing,
// and /api/health must say "down" during the outage and "up" after it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it, type ExpectStatic } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeTone } from '../helpers/audio.js';
import { listAll, startStack, type Stack } from '../helpers/stack.js';
import { sha } from '../helpers/files.js';

const TRACKS = 5;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type HealthState = 'up' | 'down' | 'unknown';

// The three cases have their own stacks and run side by side to keep the file short.
// Three stacks at once, each through an outage and back: minutes on a loaded machine, not seconds.
describe.concurrent('slskd down for a while, then back', { timeout: 150_000 }, () => {
  let dir: string;
  let files: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-robust-outage-'));
    files = Array.from({ length: TRACKS }, (_, i) => path.join(dir, `t${i}.flac`));
    for (const [i, f] of files.entries()) {
      await makeTone(f, { seconds: 3, frequency: 600 + 40 * i, format: 'flac' });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // One slow peer per track (about 1.5 s a file) plus a slower alternative each.
  const users = (): SimUser[] =>
    files.flatMap((localPath, i) => [
      {
        username: `main${i}`,
        behaviour: { uploadSpeed: 20_000 },
        files: [
          {
            remotePath: `@@m${i}\\Music\\Outage Band\\Dark Hours\\0${i + 1} - Hour ${i}.flac`,
            localPath,
          },
        ],
      },
      {
        username: `alt${i}`,
        behaviour: { uploadSpeed: 20_000, hasFreeUploadSlot: false },
        files: [
          {
            remotePath: `@@a${i}\\Music\\Outage Band\\Dark Hours\\0${i + 1} - Hour ${i}.flac`,
            localPath,
          },
        ],
      },
    ]);

  /** Polls /api/health in the background; `state()` is the latest answer. */
  function watchHealth(s: Stack): {
    state(): HealthState;
    seen: HealthState[];
    circuits: string[];
    stop(): void;
  } {
    let latest: HealthState = 'unknown';
    const seen: HealthState[] = [];
    const circuits: string[] = [];
    let polling = true;
    void (async () => {
      while (polling) {
        try {
          const res = await fetch(`${s.soulspot.url}/api/health`);
          const body = (await res.json()) as {
            providers: { slskd: { state: HealthState; circuit?: string } };
          };
          latest = body.providers.slskd.state;
          if (seen.at(-1) !== latest) seen.push(latest);
          const circuit = body.providers.slskd.circuit ?? 'none';
          if (circuits.at(-1) !== circuit) circuits.push(circuit);
        } catch {
          // SoulSpot itself is closing
        }
        await sleep(100);
      }
    })();
    return {
      state: () => latest,
      seen,
      circuits,
      stop: () => {
        polling = false;
      },
    };
  }

  async function until(check: () => boolean | Promise<boolean>, ms: number, what: string) {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await sleep(50);
    }
  }

  async function outage(
    expect: ExpectStatic,
    down: (s: Stack) => Promise<void>,
    up: (s: Stack) => Promise<void>,
    env: Record<string, string> = {},
    holdMs = 2_000,
  ) {
    const s = await startStack({
      users: users(),
      // Two at a time: when slskd goes away some downloads are transferring, others still wait.
      // A short half-open delay: the circuit breaker probes slskd again after 1 s.
      env: { SOULSPOT_MAX_CONCURRENT: '2', SOULSPOT_CIRCUIT_HALF_OPEN_SECONDS: '1', ...env },
    });
    const health = watchHealth(s);
    try {
      await during(expect, s, health, down, up, holdMs);
    } finally {
      health.stop();
      await s.close();
    }
  }

  /** Five downloads; slskd goes `down` mid-way, comes back `up`; then the checks. */
  async function during(
    expect: ExpectStatic,
    s: Stack,
    health: ReturnType<typeof watchHealth>,
    down: (s: Stack) => Promise<void>,
    up: (s: Stack) => Promise<void>,
    holdMs: number,
  ) {
    const everFailed = new Set<string>();
    const retried = new Set<string>();
    s.soulspot.bus.on('download.updated', (d) => {
      if (d.status === 'failed') everFailed.add(`${d.title}: ${d.errorCode} ${d.errorMessage}`);
      if (d.status === 'waiting' && d.retryCount > 0) {
        retried.add(`${d.title}: retry ${d.retryCount} after ${d.errorCode} ${d.errorMessage}`);
      }
    });
    await until(() => health.state() === 'up', 30_000, 'health "up" before the outage');
    for (let i = 0; i < TRACKS; i++) {
      const res = await s.api('POST', '/api/downloads', {
        artist: 'Outage Band',
        title: `Hour ${i}`,
        album: 'Dark Hours',
        trackNumber: i + 1,
        durationSeconds: 3,
      });
      expect(res.status).toBe(201);
    }
    let before: DownloadDto[] = [];
    await until(
      async () => {
        before = await listAll(s.api);
        return before.some((d) => d.status === 'downloading' && d.bytesTransferred > 0);
      },
      30_000,
      'a transfer in progress',
    );
    await down(s);
    // Precondition: the outage hit transfers in flight and downloads that had not searched yet.
    expect(before.filter((d) => d.status === 'downloading').length).toBeGreaterThan(0);
    expect(before.filter((d) => d.status === 'waiting').length).toBeGreaterThan(0);

    await until(() => health.state() === 'down', 20_000, '/api/health to show slskd "down"');
    await sleep(holdMs); // stay down a little longer: the waiting downloads try and must not fail
    const during = await listAll(s.api);
    expect(during.filter((d) => d.status === 'failed')).toEqual([]);
    await up(s);
    await until(() => health.state() === 'up', 20_000, '/api/health to show slskd "up" again');

    // After the outage the breaker probes, the waiting downloads search and each track is filed
    // (tags, cover, transcode check: ffmpeg runs): 12-27 s seen on a loaded 2-core machine.
    const done = await s.waitFor(
      (items) => items.every((d) => d.status === 'completed' || d.status === 'failed'),
      60_000,
    );
    expect([...everFailed]).toEqual([]);
    expect(done.map((d) => `${d.title}: ${d.status}`).sort()).toEqual(
      Array.from({ length: TRACKS }, (_, i) => `Hour ${i}: completed`),
    );
    // Waiting for slskd does not use up retries.
    expect([...retried]).toEqual([]);
    expect(done.map((d) => d.retryCount)).toEqual(new Array(TRACKS).fill(0));
    for (const d of done) {
      const i = Number(d.title.split(' ')[1]);
      expect(sha(d.libraryPath!)).toBe(sha(files[i]!));
    }
    expect(health.seen).toContain('down');
    expect(health.seen.at(-1)).toBe('up');
    // /api/health also shows the circuit breaker: open during the outage (after consecutive
    // failures, or at once when slskd says it is not logged in), closed again at the end.
    expect(health.circuits).toContain('open');
    expect(health.circuits.at(-1)).toBe('closed');
  }

  it('unreachable (stop … start)', async ({ expect }) => {
    await outage(
      expect,
      (s) => s.emulator.stop(),
      (s) => s.emulator.start(),
    );
  });

  it('not logged in to Soulseek (setLoggedIn(false) … true)', async ({ expect }) => {
    await outage(
      expect,
      async (s) => s.emulator.setLoggedIn(false),
      async (s) => s.emulator.setLoggedIn(true),
    );
  });

  // With a failure threshold the breaker never reaches, only "not logged in" opens the circuit
  // (at the next health probe); searches refused in the meantime must leave downloads waiting.
  it('not logged in, with a failure threshold never reached', async ({ expect }) => {
    await outage(
      expect,
      async (s) => s.emulator.setLoggedIn(false),
      async (s) => s.emulator.setLoggedIn(true),
      { SOULSPOT_CIRCUIT_FAILURES: '1000' },
      4_000,
    );
  });
});
