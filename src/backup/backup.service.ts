import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { DatabaseHandle } from '../db/database.js';
import { DUMP_FILE, dumpDatabase, PG_DUMP_DEFAULTS, type PgDumpOptions } from './backup.dump.js';

/**
 * Backups (`POST /api/system/backup`, `GET /api/system/backups`). One backup is one folder in
 * `<data dir>/backups/`, named by its time (`soulspot-20250102T030405123Z`), holding the database
 * snapshot (`soulspot.db` or `soulspot.pgdump`) and `settings.json` (the settings in force). It is
 * built in a hidden `.tmp-…` folder (mode 0700; files 0600, each fsynced) that is renamed into
 * place only when complete, then the backups folder is fsynced: a crash leaves a whole backup or
 * only a temporary folder, which the next backup removes. The newest `backupRetention` are kept.
 */

export interface BackupInfo {
  name: string;
  /** Bytes of all its files. */
  size: number;
  /** ISO time it was made (from its name). */
  createdAt: string;
  database: 'sqlite' | 'postgres';
}

const NAME = /^soulspot-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z(?:-\d+)?$/;
const TEMP_PREFIX = '.tmp-';

/** The folder name for a backup made at `at` (epoch ms); sorts by time. */
export function backupName(at: number): string {
  return `soulspot-${new Date(at).toISOString().replace(/[-:.]/g, '')}`;
}

/** The time in a backup's name, or null for a name that is not a backup's. */
export function backupTime(name: string): number | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d, h, mi, s, ms);
}

/**
 * The backups to remove to keep the newest `keep` (names sort by time), never `made`, the one just
 * written: after the clock was set back it sorts before older ones, and rotating it away would
 * throw out the only backup of the present. Pure.
 */
export function toRotate(names: readonly string[], keep: number, made?: string): string[] {
  const sorted = names.filter((n) => backupTime(n) !== null && n !== made).sort();
  const room = Math.max(0, keep - (made === undefined ? 0 : 1));
  return sorted.slice(0, Math.max(0, sorted.length - room));
}

async function fsyncPath(file: string, flags: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, flags);
    await fh.sync();
  } catch (error) {
    // Some file systems cannot fsync a directory; the files in it are synced already.
    const code = (error as NodeJS.ErrnoException).code;
    if (flags === 'r' && (code === 'EINVAL' || code === 'EISDIR' || code === 'EPERM')) return;
    throw error;
  } finally {
    await fh?.close();
  }
}

async function writeFileSynced(file: string, text: string): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function createBackupService(deps: {
  dataDir: string;
  handle: DatabaseHandle;
  /** postgres://… for pg_dump; null with SQLite. */
  databaseUrl: string | null;
  /** The settings in force, written as settings.json. */
  settings: () => Readonly<Record<string, unknown>>;
  /** How many backups to keep (setting backupRetention), read at each backup. */
  retention: () => number;
  pgDump?: Partial<PgDumpOptions>;
  now?: () => number;
}) {
  const dir = path.join(deps.dataDir, 'backups');
  const now = deps.now ?? Date.now;
  const pgOptions: PgDumpOptions = { ...PG_DUMP_DEFAULTS, ...deps.pgDump };
  /** Backups run one at a time in a process (a second request waits for the first). */
  let chain: Promise<unknown> = Promise.resolve();

  const info = async (name: string): Promise<BackupInfo | null> => {
    const at = backupTime(name);
    if (at === null) return null;
    let size = 0;
    let database: BackupInfo['database'] | null = null;
    // A folder or file can go while it is read (a rotation of another request, a user's rm): the
    // backup is then not listed, rather than the whole list failing.
    const files = await readdir(path.join(dir, name)).catch(() => null);
    if (files === null) return null;
    for (const f of files) {
      const s = await stat(path.join(dir, name, f)).catch(() => null);
      if (s === null) return null;
      size += s.size;
      if (f === DUMP_FILE.sqlite) database = 'sqlite';
      if (f === DUMP_FILE.postgres) database = 'postgres';
    }
    if (database === null) return null;
    return { name, size, createdAt: new Date(at).toISOString(), database };
  };

  /** Removes leftovers of backups interrupted by a crash: never complete, never listed. */
  const sweep = async (): Promise<number> => {
    const entries = await readdir(dir).catch(() => [] as string[]);
    let removed = 0;
    for (const entry of entries) {
      if (!entry.startsWith(TEMP_PREFIX)) continue;
      await rm(path.join(dir, entry), { recursive: true, force: true });
      removed += 1;
    }
    return removed;
  };

  const createOne = async (): Promise<BackupInfo> => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await sweep();
    let name = backupName(now());
    const existing = new Set(await readdir(dir));
    for (let i = 2; existing.has(name); i++) name = `${backupName(now())}-${i}`;
    const temp = path.join(dir, `${TEMP_PREFIX}${name}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp, { mode: 0o700 });
    try {
      const dump = path.join(temp, DUMP_FILE[deps.handle.dialect]);
      await dumpDatabase(deps.handle, dump, { url: deps.databaseUrl, options: pgOptions });
      await chmod(dump, 0o600);
      await fsyncPath(dump, 'r+');
      const settings = {
        createdAt: new Date(backupTime(name) ?? now()).toISOString(),
        database: deps.handle.dialect,
        settings: deps.settings(),
      };
      await writeFileSynced(
        path.join(temp, 'settings.json'),
        `${JSON.stringify(settings, null, 2)}\n`,
      );
      await fsyncPath(temp, 'r');
      await rename(temp, path.join(dir, name));
      await fsyncPath(dir, 'r');
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    for (const old of toRotate(await readdir(dir), deps.retention(), name)) {
      await rm(path.join(dir, old), { recursive: true, force: true });
    }
    const made = await info(name);
    if (!made) throw new Error(`backup ${name} vanished after it was written`);
    return made;
  };

  return {
    /** Makes a backup now (after any running one), then removes the oldest beyond retention. */
    create(): Promise<BackupInfo> {
      const run = chain.then(createOne, createOne);
      chain = run.catch(() => undefined);
      return run;
    },
    /** The complete backups, newest first. */
    async list(): Promise<BackupInfo[]> {
      const names = await readdir(dir).catch(() => [] as string[]);
      const out: BackupInfo[] = [];
      for (const name of names.sort().reverse()) {
        const b = await info(name);
        if (b) out.push(b);
      }
      return out;
    },
    /**
     * Removes what a crash during a backup left (a database copy can be gigabytes); main.ts calls
     * it at start, before any backup can run. Returns the folders removed.
     */
    sweep: (): Promise<number> => {
      const run = chain.then(sweep, sweep);
      chain = run.catch(() => undefined);
      return run;
    },
    /** The backups folder. */
    dir,
  };
}

export type BackupService = ReturnType<typeof createBackupService>;
