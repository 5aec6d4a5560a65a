import { spawn } from 'node:child_process';
import type { DatabaseHandle } from '../db/database.js';

/**
 * The two ways a database becomes one snapshot file. SQLite: the online backup API on SoulSpot's
 * own connection. PostgreSQL: `pg_dump --format=custom` (restore with `pg_restore`), run with a
 * time limit and the password in the environment, never on its command line.
 */

/** The backup cannot be made here (501): what is missing, in words a user can act on. */
export class BackupUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupUnavailableError';
  }
}

/** The dump ran and failed; the details are in the log, not in the API's answer. */
export class BackupFailedError extends Error {
  constructor(
    message: string,
    readonly detail: string,
  ) {
    super(message);
    this.name = 'BackupFailedError';
  }
}

export interface PgDumpOptions {
  /** The pg_dump binary (a name on PATH or a path). */
  command: string;
  /** The dump is killed after this long. */
  timeoutMs: number;
}

export const PG_DUMP_DEFAULTS: PgDumpOptions = { command: 'pg_dump', timeoutMs: 10 * 60_000 };

/** The file name of the database snapshot inside a backup folder, by database kind. */
export const DUMP_FILE = { sqlite: 'soulspot.db', postgres: 'soulspot.pgdump' } as const;

/**
 * pg_dump's arguments and environment for this URL: the password goes into PGPASSWORD, whether
 * the URL carries it as `user:password@` or as `?password=` (both libpq and node-postgres take
 * either). A command line is readable by every local user (`ps`, /proc/<pid>/cmdline).
 */
export function pgDumpInvocation(
  url: string,
  file: string,
  schema: string | undefined,
): { args: string[]; env: Record<string, string> } {
  const parsed = new URL(url);
  const env: Record<string, string> = {};
  if (parsed.password !== '') {
    env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = '';
  }
  // The query's password wins over the user's, as it does for libpq and node-postgres.
  const inQuery = parsed.searchParams.get('password');
  if (inQuery !== null) {
    env.PGPASSWORD = inQuery;
    parsed.searchParams.delete('password');
  }
  const args = [
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    `--file=${file}`,
    ...(schema ? [`--schema=${schema}`] : []),
    `--dbname=${parsed.toString()}`,
  ];
  return { args, env };
}

/** Runs pg_dump into `file`; rejects with BackupUnavailableError when there is no pg_dump. */
export function runPgDump(
  url: string,
  file: string,
  schema: string | undefined,
  options: PgDumpOptions,
): Promise<void> {
  const { args, env } = pgDumpInvocation(url, file, schema);
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT') {
        reject(
          new BackupUnavailableError(
            `${options.command} was not found: install the PostgreSQL client tools (e.g. the postgresql-client package) so SoulSpot can run pg_dump, or back the database up with your own pg_dump`,
          ),
        );
      } else reject(new BackupFailedError('pg_dump could not be started', String(error)));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else if (signal === 'SIGKILL')
        reject(
          new BackupFailedError(
            `pg_dump did not finish within ${Math.round(options.timeoutMs / 1000)} s`,
            stderr,
          ),
        );
      else reject(new BackupFailedError(`pg_dump failed (exit code ${code})`, stderr));
    });
  });
}

/** Writes the database snapshot into `file` (which must not exist yet). */
export async function dumpDatabase(
  handle: DatabaseHandle,
  file: string,
  pg: { url: string | null; options: PgDumpOptions },
): Promise<void> {
  if (handle.dialect === 'sqlite') {
    if (!handle.backupTo) throw new BackupUnavailableError('this SQLite handle cannot back up');
    await handle.backupTo(file);
    return;
  }
  if (!pg.url) throw new BackupUnavailableError('the PostgreSQL URL is not known to this process');
  await runPgDump(pg.url, file, handle.schema, pg.options);
}
