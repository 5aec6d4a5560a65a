import { startModuleWorker } from '../library/worker-thread.js';

/**
 * Copies the SQLite database at `source` into `destination` with SQLite's online backup API
 * (better-sqlite3's `backup()`), in a worker thread on a second connection.
 *
 * Not on SoulSpot's own connection: its transactions span awaits (BEGIN IMMEDIATE … COMMIT around
 * async work), and a backup step that runs while that connection is inside a transaction copies
 * nothing — better-sqlite3 then resolves with an empty or missing file, reporting success. A second
 * connection reads in its own transaction: in WAL mode it neither waits for the writer nor blocks
 * it, and copying every page in one step means no write can restart it half-way. The worker keeps
 * the copy (I/O bound, seconds for a large library) off the event loop.
 */
export function backupSqliteFile(source: string, destination: string): Promise<void> {
  const worker = startModuleWorker(import.meta.url, 'sqlite-backup.worker');
  return new Promise<void>((resolve, reject) => {
    worker.once('message', (m: { ok: true } | { ok: false; error: string }) => {
      if (m.ok) resolve();
      else reject(new Error(`SQLite backup failed: ${m.error}`));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`SQLite backup worker exited (${code})`)));
    worker.postMessage({ source, destination });
  }).finally(() => void worker.terminate());
}
