import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  backupName,
  backupTime,
  createBackupService,
  toRotate,
  type BackupInfo,
} from '../src/backup/backup.service.js';
import { pgDumpInvocation } from '../src/backup/backup.dump.js';
import { loadConfig } from '../src/config/config.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freshDb, freshPgDatabase, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';
import { API_KEY, fastEnv } from './helpers/stack.js';

const headers = { 'x-api-key': API_KEY, 'content-type': 'application/json' };

async function call<T>(
  s: SoulSpot,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await s.app.inject({
    method,
    url,
    headers: body === undefined ? { 'x-api-key': API_KEY } : headers,
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: res.json<T>() };
}

describe('backup names and rotation (pure)', () => {
  it('names sort by time and give their time back', () => {
    const at = Date.UTC(2025, 0, 2, 3, 4, 5, 123);
    expect(backupName(at)).toBe('soulspot-20250102T030405123Z');
    expect(backupTime(backupName(at))).toBe(at);
    expect(backupTime(`${backupName(at)}-2`)).toBe(at);
    expect(backupTime('.tmp-soulspot-20250102T030405123Z-ab')).toBeNull();
    expect(backupTime('notes.txt')).toBeNull();
  });

  it('keeps the newest n and never touches what is not a backup', () => {
    const names = [0, 1, 2, 3].map((i) => backupName(Date.UTC(2025, 0, 1 + i)));
    expect(toRotate([...names, 'notes.txt', '.tmp-x'], 2)).toEqual([names[0], names[1]]);
    expect(toRotate(names, 10)).toEqual([]);
  });

  it('gives pg_dump the password in its environment, never on its command line', () => {
    const { args, env } = pgDumpInvocation(
      'postgres://soulspot:p%40ss@127.0.0.1:5432/db',
      '/x/soulspot.pgdump',
      't_schema',
    );
    expect(env).toEqual({ PGPASSWORD: 'p@ss' });
    expect(args.join(' ')).not.toContain('p%40ss');
    expect(args).toContain('--schema=t_schema');
    expect(args).toContain('--dbname=postgres://soulspot@127.0.0.1:5432/db');
  });

  it('takes a password given as ?password= off the command line too', () => {
    const { args, env } = pgDumpInvocation(
      'postgres://soulspot@127.0.0.1:5432/db?sslmode=disable&password=q%26ery-pass',
      '/x/soulspot.pgdump',
      undefined,
    );
    expect(env).toEqual({ PGPASSWORD: 'q&ery-pass' });
    expect(args.join(' ')).not.toMatch(/q%26ery-pass|q&ery-pass|password/);
    expect(args).toContain('--dbname=postgres://soulspot@127.0.0.1:5432/db?sslmode=disable');
  });

  it('never rotates away the backup just made, even when it sorts before the others', () => {
    const names = [1, 2, 3].map((i) => backupName(Date.UTC(2025, 0, i)));
    // The clock was set back: the new one's name is the oldest.
    const made = backupName(Date.UTC(2024, 0, 1));
    expect(toRotate([...names, made], 1, made)).toEqual(names);
    expect(toRotate([...names, made], 2, made)).toEqual([names[0], names[1]]);
  });
});

describe('the backup service on a real SQLite database', () => {
  let db: TestDb;
  let dataDir: string;
  beforeAll(async () => {
    db = await freshDb('sqlite');
  });
  beforeEach(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'soulspot-backup-svc-'));
  });
  afterAll(async () => {
    await db?.cleanup();
  });
  const service = (extra: Partial<Parameters<typeof createBackupService>[0]> = {}) =>
    createBackupService({
      dataDir,
      handle: db,
      databaseUrl: null,
      settings: () => ({}),
      retention: () => 7,
      ...extra,
    });

  it('keeps the backup just made after the clock was set back, with retention 1', async () => {
    let t = Date.UTC(2030, 5, 1);
    const backups = service({ retention: () => 1, now: () => t });
    const first = await backups.create();
    t -= 3_600_000; // NTP set the clock back an hour
    const second = await backups.create();
    expect((await backups.list()).map((b) => b.name)).toEqual([second.name]);
    expect(second.name).not.toBe(first.name);
  });

  it('makes two requested at once one after the other, both whole, nothing temporary left', async () => {
    const backups = service();
    const [a, b] = await Promise.all([backups.create(), backups.create()]);
    expect(a.name).not.toBe(b.name);
    expect((await backups.list()).map((x) => x.name).sort()).toEqual([a.name, b.name].sort());
    expect(readdirSync(backups.dir).filter((n) => n.startsWith('.'))).toEqual([]);
    for (const made of [a, b]) {
      const copy = new Database(path.join(backups.dir, made.name, 'soulspot.db'), {
        readonly: true,
      });
      try {
        expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
      } finally {
        copy.close();
      }
    }
  });

  it('lists the others when a file of one goes while the list is read', async () => {
    const backups = service();
    const a = await backups.create();
    const b = await backups.create();
    // A file that is named by its folder but gone when looked at (a rotation removing it).
    symlinkSync(path.join(dataDir, 'gone'), path.join(backups.dir, b.name, 'vanishing'));
    expect((await backups.list()).map((x) => x.name)).toEqual([a.name]);
  });
});

describe('SQLite backup and restore round trip', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-backup-'));
  let first: SoulSpot | undefined;
  let restored: SoulSpot | undefined;
  afterAll(async () => {
    await first?.stop();
    await restored?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('backs up downloads and settings, rotates, and a restored data dir starts with them', async () => {
    const env = { ...fastEnv(path.join(root, 'one')) };
    first = await startSoulSpot(loadConfig(env), { runWorkers: false, listen: false });
    const created: DownloadDto[] = [];
    for (const title of ['First Song', 'Second Song', 'Third Song']) {
      const res = await call<DownloadDto>(first, 'POST', '/api/downloads', {
        artist: 'Backup Artist',
        title,
      });
      expect(res.status).toBe(201);
      created.push(res.body);
    }
    expect(
      (await call(first, 'PATCH', '/api/settings', { maxRetries: 7, backupRetention: 2 })).status,
    ).toBe(200);

    const unauthorized = await first.app.inject({ method: 'POST', url: '/api/system/backup' });
    expect(unauthorized.statusCode).toBe(401);

    const made: BackupInfo[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call<BackupInfo>(first, 'POST', '/api/system/backup');
      expect(res.status).toBe(201);
      made.push(res.body);
    }
    expect(made[2]).toMatchObject({
      database: 'sqlite',
      name: expect.stringMatching(/^soulspot-/),
    });
    expect(made[2]!.size).toBeGreaterThan(0);
    const listed = await call<{ items: BackupInfo[] }>(first, 'GET', '/api/system/backups');
    // Retention 2: the oldest of three went; newest first.
    expect(listed.body.items).toEqual([made[2], made[1]]);

    const dir = path.join(root, 'one', 'data', 'backups');
    expect(readdirSync(dir).sort()).toEqual([made[1]!.name, made[2]!.name]);
    const folder = path.join(dir, made[2]!.name);
    expect(readdirSync(folder).sort()).toEqual(['settings.json', 'soulspot.db']);
    for (const f of readdirSync(folder)) {
      expect(statSync(path.join(folder, f)).mode & 0o777, f).toBe(0o600);
    }
    const settings = JSON.parse(readFileSync(path.join(folder, 'settings.json'), 'utf8')) as {
      database: string;
      settings: Record<string, unknown>;
    };
    expect(settings.database).toBe('sqlite');
    expect(settings.settings).toMatchObject({ maxRetries: 7, backupRetention: 2 });
    // What comes after the backup is undone by the restore.
    const later = await call<DownloadDto>(first, 'POST', '/api/downloads', {
      artist: 'Backup Artist',
      title: 'After The Backup',
    });
    expect(later.status).toBe(201);
    expect((await call(first, 'PATCH', '/api/settings', { maxRetries: 3 })).status).toBe(200);
    await first.stop();
    first = undefined;

    // A backup a crash interrupted half-way: the next start removes it.
    const leftover = path.join(dir, '.tmp-soulspot-20250102T030405123Z-0a1b2c3d');
    mkdirSync(leftover);
    writeFileSync(path.join(leftover, 'soulspot.db'), 'half a copy');

    // Restore as the README says, in the same data dir: stop (done), copy the backup's
    // soulspot.db over the data dir's, remove its -wal and -shm, start.
    const data = path.join(root, 'one', 'data');
    copyFileSync(path.join(folder, 'soulspot.db'), path.join(data, 'soulspot.db'));
    rmSync(path.join(data, 'soulspot.db-wal'), { force: true });
    rmSync(path.join(data, 'soulspot.db-shm'), { force: true });
    restored = await startSoulSpot(loadConfig(env), { runWorkers: false, listen: false });
    const list = await call<{ items: DownloadDto[] }>(restored, 'GET', '/api/downloads?limit=10');
    expect(list.body.items.map((d) => d.id).sort()).toEqual(created.map((d) => d.id).sort());
    const restoredSettings = await call<Record<string, unknown>>(restored, 'GET', '/api/settings');
    expect(restoredSettings.body).toMatchObject({ maxRetries: 7, backupRetention: 2 });
    // The backups themselves are files beside the database, untouched by the restore.
    const after = await call<{ items: BackupInfo[] }>(restored, 'GET', '/api/system/backups');
    expect(after.body.items).toEqual([made[2], made[1]]);
    expect(readdirSync(dir).sort()).toEqual([made[1]!.name, made[2]!.name]);
  });
});

describe('a SQLite backup taken while downloads are being written', () => {
  let db: TestDb;
  let dataDir: string;
  beforeAll(async () => {
    db = await freshDb('sqlite');
    dataDir = mkdtempSync(path.join(tmpdir(), 'soulspot-backup-busy-'));
    // A few MB, so the copy takes a while next to the writes.
    const pad = 'c'.repeat(2000);
    await db.writeTx(async (tx) => {
      for (let i = 0; i < 4000; i++) {
        await tx
          .insertInto('downloads')
          .values(downloadRow({ candidates: pad }))
          .execute();
      }
    });
  });
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('is one consistent moment: every transaction in it whole, none half', async () => {
    // Each transaction adds a download and, after a turn of the event loop (a transaction held
    // open across awaits, as SoulSpot's are), the counter of added downloads.
    let stop = false;
    let committed = 0;
    const writer = (async () => {
      while (!stop) {
        await db.writeTx(async (tx) => {
          await tx
            .insertInto('downloads')
            .values(downloadRow({ candidates: 'w' }))
            .execute();
          await new Promise((r) => setImmediate(r));
          const n = String(committed + 1);
          await tx
            .insertInto('settings')
            .values({ key: 'added', value: n, updated_at: 0 })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value: n }))
            .execute();
        });
        committed += 1;
      }
    })();
    const service = createBackupService({
      dataDir,
      handle: db,
      databaseUrl: null,
      settings: () => ({}),
      retention: () => 7,
    });
    const before = committed;
    const made = await service.create();
    const during = committed - before;
    stop = true;
    await writer;
    expect(during).toBeGreaterThan(0);

    const copy = new Database(path.join(service.dir, made.name, 'soulspot.db'));
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const downloads = (copy.prepare('SELECT count(*) AS n FROM downloads').get() as { n: number })
        .n;
      const row = copy.prepare("SELECT value FROM settings WHERE key = 'added'").get() as
        { value: string } | undefined;
      const added = row ? Number(row.value) : 0;
      expect(downloads).toBe(4000 + added);
      expect(added).toBeLessThanOrEqual(committed);
    } finally {
      copy.close();
    }
  });
});

describe('a SQLite backup that runs out of room', () => {
  let db: TestDb;
  let dataDir: string;
  beforeAll(async () => {
    db = await freshDb('sqlite');
    dataDir = mkdtempSync(path.join(tmpdir(), 'soulspot-backup-full-'));
    const pad = 'f'.repeat(2000);
    await db.writeTx(async (tx) => {
      for (let i = 0; i < 2000; i++) {
        await tx
          .insertInto('downloads')
          .values(downloadRow({ candidates: pad }))
          .execute();
      }
    });
  });
  afterAll(async () => {
    await db?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('fails, and leaves neither a backup nor its temporary folder behind', () => {
    // A 4 MB database, and no file of the process may grow past 1 MB: the copy hits the limit
    // half-way, as it would hit a full disk.
    const child = spawnSync(
      'prlimit',
      [
        '--fsize=1048576',
        '--',
        process.execPath,
        '--import',
        'tsx',
        path.join(import.meta.dirname, 'helpers', 'backup-child.ts'),
        db.location,
        dataDir,
      ],
      { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..') },
    );
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout) as { ok: boolean; error?: string; entries: string[] };
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/SQLite backup failed: .*(disk I\/O error|disk is full)/);
    expect(result.entries).toEqual([]);
  });
});

const hasPgDump = spawnSync('pg_dump', ['--version']).status === 0;

describe('PostgreSQL backup', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-backup-pg-'));
  let soulspot: SoulSpot | undefined;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;
  afterEach(async () => {
    await soulspot?.stop();
    soulspot = undefined;
  });
  afterAll(async () => {
    await pgDb?.drop();
    rmSync(root, { recursive: true, force: true });
  });

  it.runIf(Boolean(process.env.SOULSPOT_TEST_PG_URL) && hasPgDump)(
    'dumps with pg_dump into a file pg_restore can read, with the downloads in it',
    async () => {
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      soulspot = await startSoulSpot(
        loadConfig({ ...fastEnv(path.join(root, 'pg')), SOULSPOT_DATABASE_URL: pgDb.url }),
        { runWorkers: false, listen: false },
      );
      const created = await call<DownloadDto>(soulspot, 'POST', '/api/downloads', {
        artist: 'Dumped Artist',
        title: 'Dumped Song',
      });
      expect(created.status).toBe(201);
      const res = await call<BackupInfo>(soulspot, 'POST', '/api/system/backup');
      expect(res.status).toBe(201);
      expect(res.body.database).toBe('postgres');
      const file = path.join(root, 'pg', 'data', 'backups', res.body.name, 'soulspot.pgdump');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // pg_restore turns the archive back into SQL: the row is there.
      const restoredSql = spawnSync('pg_restore', ['--data-only', '--file=-', file], {
        encoding: 'utf8',
      });
      expect(restoredSql.status).toBe(0);
      expect(restoredSql.stdout).toContain(created.body.id);
      expect(restoredSql.stdout).toContain('Dumped Song');
    },
  );

  it.runIf(Boolean(process.env.SOULSPOT_TEST_PG_URL) && hasPgDump)(
    'kills a pg_dump that hangs (waiting on a locked table) at its time limit, leaving nothing',
    async () => {
      const url = process.env.SOULSPOT_TEST_PG_URL as string;
      const db = await freshDb('postgres');
      const locker = new pg.Client({ connectionString: url });
      await locker.connect();
      const backups = createBackupService({
        dataDir: path.join(root, 'hang'),
        handle: db,
        databaseUrl: url,
        settings: () => ({}),
        retention: () => 7,
        pgDump: { timeoutMs: 2_000 },
      });
      try {
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE ${db.schema as string}.downloads IN ACCESS EXCLUSIVE MODE`);
        await expect(backups.create()).rejects.toThrow('pg_dump did not finish within 2 s');
        expect(readdirSync(backups.dir)).toEqual([]);
        expect(await backups.list()).toEqual([]);
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      // The lock gone, the next backup is made.
      expect((await backups.create()).database).toBe('postgres');
      await db.cleanup();
    },
  );

  it.runIf(Boolean(process.env.SOULSPOT_TEST_PG_URL))(
    'answers 501 naming what is missing when pg_dump is not on PATH',
    async () => {
      pgDb ??= await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      const data = path.join(root, 'nopg');
      soulspot = await startSoulSpot(
        loadConfig({ ...fastEnv(data), SOULSPOT_DATABASE_URL: pgDb.url }),
        { runWorkers: false, listen: false },
      );
      const emptyBin = path.join(root, 'empty-bin');
      mkdirSync(emptyBin, { recursive: true });
      const path0 = process.env.PATH;
      process.env.PATH = emptyBin;
      let res;
      try {
        res = await call<{ message: string }>(soulspot, 'POST', '/api/system/backup');
      } finally {
        process.env.PATH = path0;
      }
      expect(res.status).toBe(501);
      expect(res.body.message).toBe(
        'pg_dump was not found: install the PostgreSQL client tools (e.g. the postgresql-client package) so SoulSpot can run pg_dump, or back the database up with your own pg_dump',
      );
      // Nothing half-made is left behind or listed.
      const listed = await call<{ items: BackupInfo[] }>(soulspot, 'GET', '/api/system/backups');
      expect(listed.body.items).toEqual([]);
      expect(readdirSync(path.join(data, 'data', 'backups'))).toEqual([]);
    },
  );
});
