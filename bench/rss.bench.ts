import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmulator } from '../emulator/emulator.js';
import { openDatabase } from '../src/db/database.js';
import { newDownloadRow } from '../src/downloads/accept.js';
import type { DownloadStatus } from '../src/downloads/download.js';
import { API_KEY, SLSKD_KEY } from './setup.js';

const SEEDED = 100_000;
/** The V8 flags `npm start` runs SoulSpot with (package.json; README, "Running"). */
const NODE_FLAGS = (
  process.env.RSS_NODE_FLAGS ?? '--max-semi-space-size=4 --heap-growing-percent=30 --liftoff-only'
)
  .split(' ')
  .filter(Boolean);
const BULK = 10_000;
const MIX: Array<[DownloadStatus, number]> = [
  ['completed', 0.7],
  ['failed', 0.1],
  ['cancelled', 0.05],
  ['waiting', 0.15],
];

export interface RssFigure {
  storage: string;
  runtime: string;
  'peak RSS (VmHWM)': string;
  'steady RSS': string;
  'RSS at ready': string;
  target: string;
  pass: string;
}

/** Resident memory of a process in MB, from /proc/<pid>/status (Linux). */
function memory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * SoulSpot's own RSS, apart from the bench and the emulator (the queue bench's figure is the whole
 * bench process): SoulSpot runs as a child process (as `npm start` runs it, and from source under
 * tsx for comparison) on a SQLite database holding 100,000 downloads, and is driven through
 * HTTP: list pages, filtered lists, a bulk add of 10,000 and a batch cancel of them. The queue is
 * paused first, so the figure is the API's and the database's, not searches'. With a PostgreSQL
 * URL, the same on a fresh database there (the pg driver and its pool instead of SQLite's pages).
 */
export async function rssBench(databaseUrl?: string): Promise<RssFigure[]> {
  const storage = databaseUrl ? 'postgres' : 'sqlite';
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-rss-'));
  const downloadsDir = path.join(root, 'slskd', 'downloads');
  const incompleteDir = path.join(root, 'slskd', 'incomplete');
  const dataDir = path.join(root, 'data');
  for (const dir of [downloadsDir, incompleteDir, dataDir]) mkdirSync(dir, { recursive: true });
  const emulator = await createEmulator({
    apiKey: SLSKD_KEY,
    downloadsDir,
    incompleteDir,
    users: [],
    tickMs: 100,
  });
  const { freshPgDatabase } = await import('../test/helpers/db.js');
  const pgDb = databaseUrl ? await freshPgDatabase(databaseUrl) : undefined;
  // Seed once, in this process; each run below starts from a copy-free state (the bulk is cancelled).
  const seedDb = await openDatabase({
    url: pgDb?.url ?? null,
    sqlitePath: path.join(dataDir, 'soulspot.db'),
  });
  const t0 = Date.now() - SEEDED * 1000;
  let n = 0;
  for (const [status, share] of MIX) {
    const count = Math.round(SEEDED * share);
    for (let i = 0; i < count; i += 500) {
      const rows = Array.from({ length: Math.min(500, count - i) }, (_, k) => {
        const t = t0 + (n + i + k) * 1000;
        const row = newDownloadRow(
          { artist: `Seed ${(n + i + k) % 997}`, title: `Seed track ${n + i + k}` },
          t,
          3,
        );
        return { ...row, status, run_after: status === 'waiting' ? Date.now() + 86_400_000 : t };
      });
      await seedDb.db.insertInto('downloads').values(rows).execute();
    }
    n += count;
  }
  await seedDb.close();

  const repo = path.resolve(import.meta.dirname, '..');
  // What `npm start` runs (the compiled server, built first when out of date: the build is a
  // child process of its own, so it is not in the figure), and, beside it, the sources under tsx.
  const { ensureServerBuild } = await import('../scripts/server-build.js');
  const built = ensureServerBuild(repo) !== 'source';
  const runtimes: Array<[string, string[]]> = [
    [
      built ? 'npm start (compiled)' : 'npm start (no build: from source)',
      [...NODE_FLAGS, path.join(repo, 'scripts', 'start.js')],
    ],
    ['from source (tsx)', [...NODE_FLAGS, '--import', 'tsx', path.join(repo, 'src', 'server.ts')]],
  ];
  const figures: RssFigure[] = [];
  let round = 0;
  for (const [runtime, args] of runtimes) {
    const port = 19_400 + Math.floor(Math.random() * 500);
    const child = spawn(process.execPath, args, {
      cwd: repo,
      stdio: 'ignore',
      env: {
        ...process.env,
        SOULSPOT_HOST: '127.0.0.1',
        SOULSPOT_PORT: String(port),
        SOULSPOT_DATA_DIR: dataDir,
        SOULSPOT_LIBRARY_DIR: path.join(root, 'library'),
        SOULSPOT_API_KEY: API_KEY,
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_API_KEY: SLSKD_KEY,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: downloadsDir,
        SOULSPOT_LOG_LEVEL: 'silent',
        SOULSPOT_DATABASE_URL: pgDb?.url ?? '',
      },
    });
    try {
      figures.push({
        storage,
        ...(await drive(runtime, child, `http://127.0.0.1:${port}`, round++)),
      });
    } finally {
      // A child that already exited (it failed to start) sends no second 'exit'.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
  }
  await emulator.close();
  await pgDb?.drop();
  rmSync(root, { recursive: true, force: true });
  return figures;
}

async function drive(
  runtime: string,
  child: ChildProcess,
  base: string,
  round: number,
): Promise<Omit<RssFigure, 'storage'>> {
  const pid = child.pid!;
  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${runtime}: SoulSpot exited (${child.exitCode})`);
    try {
      await api('GET', '/api/health');
      break;
    } catch {
      if (i > 600) throw new Error(`${runtime}: SoulSpot did not start`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const atReady = memory(pid).rss;
  await api('POST', '/api/queue/pause');
  for (const filter of ['', '&status=failed', '&status=waiting']) {
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const page: Record<string, unknown> = await api(
        'GET',
        `/api/downloads?limit=50${filter}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      cursor = (page.nextCursor as string | null) ?? null;
    }
  }
  const bulk = await api('POST', '/api/downloads/bulk', {
    items: Array.from({ length: BULK }, (_, i) => ({
      artist: `RSS ${round}`,
      title: `Bulk track ${i}`,
    })),
  });
  const ids = (bulk.items as { id: string }[]).map((i) => i.id);
  await api('POST', '/api/downloads/batch', { ids, action: 'cancel' });
  // Steady: after the load, once the collector has had a moment.
  await new Promise((r) => setTimeout(r, 3000));
  const { rss, hwm } = memory(pid);
  return {
    runtime,
    'peak RSS (VmHWM)': `${hwm.toFixed(0)} MB`,
    'steady RSS': `${rss.toFixed(0)} MB`,
    'RSS at ready': `${atReady.toFixed(0)} MB`,
    target: runtime.startsWith('npm start') ? '< 200 MB' : '(for comparison)',
    pass: runtime.startsWith('npm start') ? (hwm < 200 ? 'pass' : 'FAIL') : '',
  };
}
