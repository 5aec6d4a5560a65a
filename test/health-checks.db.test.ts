import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../src/db/database.js';
import type { Database } from '../src/db/schema.js';
import { NOT_IN_DOWNLOADS_FOLDER } from '../src/downloads/import.step.js';
import type { LoggedEvent } from '../src/events/event-log.js';
import { createClockRepository } from '../src/health/clock.repository.js';
import type { HealthCheck } from '../src/health/health-checks.js';
import { createHealthChecks, type HealthChecksDeps } from '../src/health/health-checks.service.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { freePort } from './helpers/process.js';
import { sleep, waitUntil } from './helpers/wait.js';

function checksFor(
  handle: DatabaseHandle,
  dir: string,
  extra: Partial<HealthChecksDeps> = {},
): ReturnType<typeof createHealthChecks> {
  return createHealthChecks({
    handle,
    provider: () => ({ name: 'slskd', state: 'up' }),
    downloadsRoot: () => Promise.resolve(dir),
    downloadsDirOverridden: true,
    libraryDir: dir,
    minFreeBytes: 0,
    ffmpeg: () => Promise.resolve({ available: true }),
    clocks: { repo: createClockRepository(handle), owner: 'this-process' },
    cacheMs: 0,
    ...extra,
  });
}

const find = (checks: HealthCheck[], name: string) => checks.find((c) => c.name === name);

describe('database check with PostgreSQL on a closed loopback port', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let port: number;
  const logged: object[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-health-db-'));
    port = await freePort();
    const pool = new pg.Pool({
      connectionString: `postgres://soulspot:secret-password@127.0.0.1:${port}/soulspot`,
      connectionTimeoutMillis: 2000,
    });
    pool.on('error', () => undefined);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    handle = {
      db,
      dialect: 'postgres',
      writeTx: (fn) => db.transaction().execute(fn),
      close: () => db.destroy(),
    };
  });
  afterAll(async () => {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is an error in SoulSpot words; the driver error goes to the log only', async () => {
    const checks = await checksFor(handle, dir, {
      log: { warn: (details) => logged.push(details) },
    }).run();
    expect(find(checks, 'database')).toEqual({
      name: 'database',
      status: 'error',
      message: 'the PostgreSQL database cannot be reached',
    });
    expect(find(checks, 'clock-skew')?.status).toBe('warning');
    const text = JSON.stringify(checks);
    expect(text).not.toContain(String(port));
    expect(text).not.toContain('secret-password');
    expect(JSON.stringify(logged)).toMatch(/ECONNREFUSED/);
  });
});

describe.each(testDialects())('clock skew from heartbeat rows (%s)', (dialect) => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await freshDb(dialect);
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-health-clock-'));
  });
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("agrees with its own clock, and errs on another live process's skewed one", async () => {
    const checks = checksFor(db, dir);
    expect(find(await checks.run(), 'clock-skew')).toEqual({
      name: 'clock-skew',
      status: 'ok',
      message: 'one SoulSpot process; its clock agrees with the database',
    });
    // Another process whose clock is 20 s ahead beats: its row carries the database's clock too.
    await createClockRepository(db).beat('other-process', Date.now() + 20_000);
    const skew = find(await checks.run(), 'clock-skew');
    expect(skew?.status).toBe('error');
    expect(skew?.message).toMatch(/up to (19|20)\.\d s apart/);
  });

  it('on PostgreSQL, a process whose own clock is off the server warns', async () => {
    if (dialect !== 'postgres') return;
    await db.db.deleteFrom('process_clocks').execute();
    const checks = checksFor(db, dir, { now: () => Date.now() - 5_000 });
    const skew = find(await checks.run(), 'clock-skew');
    expect(skew?.status).toBe('warning');
    expect(skew?.message).toMatch(/this process's clock is 5\.\d s off the database server's/);
  });
});

describe("the downloads folder check learns from filing whether slskd's files were found", () => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await freshDb('sqlite');
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-health-folder-'));
  });
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns after a download failed for a file not in the folder, and clears on a completion', async () => {
    const checks = checksFor(db, dir);
    expect(find(await checks.run(), 'slskd-downloads-folder')?.status).toBe('ok');
    checks.observe({
      id: 1,
      type: 'download.failed',
      createdAt: Date.now(),
      payload: {
        errorCode: 'file_not_found',
        errorMessage: `${NOT_IN_DOWNLOADS_FOLDER} /downloads: check SOULSPOT_SLSKD_DOWNLOADS_DIR`,
      },
    } as unknown as LoggedEvent);
    expect(find(await checks.run(), 'slskd-downloads-folder')?.status).toBe('warning');
    checks.observe({
      id: 2,
      type: 'download.completed',
      createdAt: Date.now(),
      payload: {},
    } as unknown as LoggedEvent);
    expect(find(await checks.run(), 'slskd-downloads-folder')?.status).toBe('ok');
  });

  it('errs when the folder is a file, not a folder', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, 'x');
    const checks = checksFor(db, dir, { downloadsRoot: () => Promise.resolve(file) });
    expect(find(await checks.run(), 'slskd-downloads-folder')).toEqual({
      name: 'slskd-downloads-folder',
      status: 'error',
      message: "slskd's downloads folder is not a folder here: check SOULSPOT_SLSKD_DOWNLOADS_DIR",
    });
  });
});

/**
 * /api/health must answer when what it probes does not: the database check says "cannot be
 * reached" after its time limit, and every other probe that reads the database (the clock rows,
 * the queue counts) gives up too instead of holding the whole answer back.
 */
describe.each(testDialects())('while the database holds every connection (%s)', (dialect) => {
  let db: TestDb;
  let dir: string;
  beforeAll(async () => {
    db = await freshDb(dialect);
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-health-held-'));
  });
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Takes every connection (SQLite: its one, in a write transaction) until `release()`. */
  async function holdEveryConnection(): Promise<{ release(): Promise<void> }> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const count = dialect === 'sqlite' ? 1 : 12; // freshDb's pool size
    let taken = 0;
    const holders = Array.from({ length: count }, () =>
      db.db.connection().execute(async (conn) => {
        await sql`SELECT 1`.execute(conn);
        taken += 1;
        await held;
      }),
    );
    await waitUntil(() => taken === count, { what: 'every connection to be taken' });
    return {
      release: async () => {
        release();
        await Promise.all(holders);
      },
    };
  }

  it('still answers: the database an error, the clock check a warning', async () => {
    const checks = checksFor(db, dir, { probeTimeoutMs: 300 });
    const hold = await holdEveryConnection();
    try {
      const answer = await Promise.race([
        checks.run(),
        sleep(20_000).then(() => 'no answer' as const),
      ]);
      expect(answer).not.toBe('no answer');
      const list = answer as HealthCheck[];
      expect(find(list, 'database')).toMatchObject({ status: 'error' });
      expect(find(list, 'clock-skew')).toMatchObject({ status: 'warning' });
    } finally {
      await hold.release();
    }
    // Once the database answers again, so does every check.
    expect(find(await checks.run(), 'database')?.status).toBe('ok');
    expect(find(await checks.run(), 'clock-skew')?.status).toBe('ok');
  });

  it('starts a hung probe once, however often it is asked, and still answers each time', async () => {
    let statfsCalls = 0;
    const checks = checksFor(db, dir, {
      probeTimeoutMs: 200,
      // A statfs on a hung mount: never returns.
      freeBytes: () => {
        statfsCalls += 1;
        return new Promise<number>(() => undefined);
      },
    });
    for (let i = 0; i < 3; i++) {
      expect(find(await checks.run(), 'library-free-space')).toEqual({
        name: 'library-free-space',
        status: 'error',
        message: 'the free space of the library cannot be read',
      });
    }
    expect(statfsCalls).toBe(1);
  });
});
