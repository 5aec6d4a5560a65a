import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import type { HealthCheck } from '../../src/health/health-checks.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import type { Emulator } from '../../emulator/emulator.js';
import { fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { sleep, waitUntil } from '../helpers/wait.js';

const MB = 1_048_576;

interface HealthBody {
  status: string;
  providers: { slskd: { state: string } };
  queue: Record<string, number>;
  transcode: { available: boolean; message: string };
  checks: HealthCheck[];
}

async function health(soulspot: SoulSpot): Promise<HealthBody> {
  const res = await fetch(`${soulspot.url}/api/health`);
  expect(res.status).toBe(200);
  return (await res.json()) as HealthBody;
}

const byName = (body: HealthBody, name: string): HealthCheck | undefined =>
  body.checks.find((c) => c.name === name);

/** Waits until /api/health lists `name` with `status`, and returns that check. */
async function checkTurns(
  soulspot: SoulSpot,
  name: string,
  status: HealthCheck['status'],
): Promise<HealthCheck> {
  return waitUntil(
    async () => {
      const c = byName(await health(soulspot), name);
      return c?.status === status ? c : null;
    },
    { what: `health check ${name} to be ${status}` },
  );
}

/**
 * One real SoulSpot with the slskd emulator: every check green first, then each cause in turn
 * (a full disk through an injected statfs, the library path replaced by a regular file — a method
 * that works as root, where chmod does not —, slskd logged out and then stopped).
 */
describe('/api/health checks against their causes', () => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot;
  let free = 50 * 1024 * MB;
  let notifications = { total: 0, failing: 0 };

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-health-checks-'));
    emulator = await startEmulatorIn(root, []);
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
    });
    soulspot = await startSoulSpot(config, {
      runWorkers: false,
      health: {
        cacheMs: 0,
        freeBytes: () => Promise.resolve(free),
        notifications: () => Promise.resolve(notifications),
      },
    });
  });
  afterAll(async () => {
    await soulspot?.stop();
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps the old shape and lists every check green when all is well', async () => {
    const body = await waitUntil(
      async () => {
        const b = await health(soulspot);
        return b.status === 'ok' && b.checks.every((c) => c.status === 'ok') ? b : null;
      },
      { what: 'every check to be ok' },
    );
    expect(body.status).toBe('ok');
    expect(body.providers.slskd.state).toBe('up');
    expect(body.queue).toEqual({});
    expect(body.transcode.available).toBe(true);
    expect(body.checks.map((c) => c.name)).toEqual([
      'slskd',
      'slskd-downloads-folder',
      'library-writable',
      'library-free-space',
      'database',
      'ffmpeg',
      'notifications',
      'clock-skew',
    ]);
    expect(byName(body, 'database')?.message).toBe('the SQLite database answers');
    // The endpoint is open: no path of this machine in any message.
    expect(JSON.stringify(body.checks)).not.toContain(root);
  });

  it('free space: warning near the reserve, error below it', async () => {
    free = 600 * MB;
    expect((await checkTurns(soulspot, 'library-free-space', 'warning')).message).toBe(
      'only 600 MB free in the library (the reserve is 100 MB)',
    );
    free = 99 * MB;
    await checkTurns(soulspot, 'library-free-space', 'error');
    free = 50 * 1024 * MB;
    await checkTurns(soulspot, 'library-free-space', 'ok');
  });

  it('library writable: error while the library path is a regular file', async () => {
    const library = path.join(root, 'library');
    rmSync(library, { recursive: true, force: true });
    writeFileSync(library, 'not a folder');
    try {
      const c = await checkTurns(soulspot, 'library-writable', 'error');
      expect(c.message).toContain('the library folder cannot be written');
    } finally {
      rmSync(library, { force: true });
      mkdirSync(library);
    }
    await checkTurns(soulspot, 'library-writable', 'ok');
  });

  it('library writable: error while the library folder is missing, which the check never creates', async () => {
    const library = path.join(root, 'library');
    rmSync(library, { recursive: true, force: true });
    try {
      await checkTurns(soulspot, 'library-writable', 'error');
      // An unmounted share must not reappear as an empty folder on the local disk.
      expect(existsSync(library)).toBe(false);
    } finally {
      mkdirSync(library);
    }
    await checkTurns(soulspot, 'library-writable', 'ok');
  });

  it('notifications: warning while some targets fail, error while all do', async () => {
    notifications = { total: 3, failing: 1 };
    await checkTurns(soulspot, 'notifications', 'warning');
    notifications = { total: 3, failing: 3 };
    await checkTurns(soulspot, 'notifications', 'error');
    notifications = { total: 3, failing: 0 };
    await checkTurns(soulspot, 'notifications', 'ok');
  });

  it('clock skew: a live process whose clock runs 5 s ahead warns, 60 s ahead is an error', async () => {
    const db = soulspot.db.db;
    const now = Date.now();
    // SQLite's clock is this machine's: the other process's row is as it would write it.
    await db
      .insertInto('process_clocks')
      .values({ owner: 'other-process', process_at: now + 5_000, db_at: now })
      .execute();
    await checkTurns(soulspot, 'clock-skew', 'warning');
    await db
      .updateTable('process_clocks')
      .set({ process_at: now + 60_000 })
      .where('owner', '=', 'other-process')
      .execute();
    const c = await checkTurns(soulspot, 'clock-skew', 'error');
    expect(c.message).toMatch(/the clocks of the 2 SoulSpot processes are up to 60\.\d s apart/);
    // A process gone quiet (no beat within the live window) no longer counts.
    await db
      .updateTable('process_clocks')
      .set({ db_at: now - 10 * 60_000 })
      .where('owner', '=', 'other-process')
      .execute();
    await checkTurns(soulspot, 'clock-skew', 'ok');
  });

  it('slskd: error when it is logged out of Soulseek, and when it is stopped', async () => {
    emulator.setLoggedIn(false);
    expect((await checkTurns(soulspot, 'slskd', 'error')).message).toBe(
      'slskd is not logged in to Soulseek',
    );
    emulator.setLoggedIn(true);
    await checkTurns(soulspot, 'slskd', 'ok');
    await emulator.stop();
    expect((await checkTurns(soulspot, 'slskd', 'error')).message).toBe('slskd is unreachable');
  });
});

/**
 * A SoulSpot started with a PATH that has no ffmpeg on it, and a downloads folder that does not
 * exist on this machine (a container's path given for the host's).
 */
describe('/api/health without ffmpeg and without the downloads folder', () => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot | undefined;
  const path0 = process.env.PATH;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-health-checks-'));
    emulator = await startEmulatorIn(root, []);
    const emptyBin = path.join(root, 'bin');
    mkdirSync(emptyBin);
    process.env.PATH = emptyBin;
    const config = loadConfig({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'not', 'mounted'),
    });
    soulspot = await startSoulSpot(config, { runWorkers: false, health: { cacheMs: 0 } });
  });
  afterAll(async () => {
    process.env.PATH = path0;
    await soulspot?.stop();
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('warns that ffmpeg is missing and errs on the folder, naming the variable to set', async () => {
    const ffmpeg = await checkTurns(soulspot!, 'ffmpeg', 'warning');
    expect(ffmpeg.message).toContain('ffmpeg was not found');
    const folder = await checkTurns(soulspot!, 'slskd-downloads-folder', 'error');
    expect(folder.message).toBe(
      "slskd's downloads folder does not exist here: check SOULSPOT_SLSKD_DOWNLOADS_DIR",
    );
    expect(folder.message).not.toContain(root);
  });
});

/**
 * The endpoint is open to anyone who reaches the port: a flood of requests must not become a
 * flood of queries, and it must answer while the database does not.
 */
describe('/api/health under a flood, and with the database busy', () => {
  let root: string;
  let soulspot: SoulSpot;
  let queries = 0;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-health-flood-'));
    // slskd is not running: its checks are red, which is beside the point here.
    soulspot = await startSoulSpot(loadConfig(fastEnv(root)), {
      runWorkers: false,
      onQuery: () => (queries += 1),
      health: { probeTimeoutMs: 300 },
    });
  });
  afterAll(async () => {
    await soulspot?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads the database a bounded number of times for 50 requests', async () => {
    await health(soulspot);
    const before = queries;
    for (let i = 0; i < 50; i++) await health(soulspot);
    // One cached run of the checks and one queue count serve them all (timers add a few).
    expect(queries - before).toBeLessThan(15);
  });

  it('answers while a write transaction holds the database, and says so', async () => {
    let release!: () => void;
    let inside = false;
    const held = soulspot.db.writeTx(async () => {
      inside = true;
      await new Promise<void>((r) => (release = r));
    });
    try {
      await waitUntil(() => inside, { what: 'the write transaction to start' });
      // Past the checks' cache (5 s): this request runs them against the held database.
      await sleep(5_100);
      const answer = await Promise.race([
        health(soulspot),
        sleep(20_000).then(() => 'no answer' as const),
      ]);
      expect(answer).not.toBe('no answer');
      expect(byName(answer as HealthBody, 'database')?.status).toBe('error');
      expect((answer as HealthBody).queue).toEqual({});
    } finally {
      release();
      await held;
    }
    await checkTurns(soulspot, 'database', 'ok');
  });
});
