import { parentPort } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The SQLite backup, on a worker thread with a connection of its own (see sqlite-backup.ts). The
 * whole database is copied in one backup step, which is one read transaction: a consistent
 * snapshot however the main connection writes meanwhile (WAL lets it), and never restarted.
 */
parentPort?.on('message', (job: { source: string; destination: string }) => {
  let db: Database.Database | undefined;
  const done = (message: { ok: true } | { ok: false; error: string }): void => {
    db?.close();
    parentPort?.postMessage(message);
  };
  try {
    db = new Database(job.source, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    done({ ok: false, error: String(error) });
    return;
  }
  db.backup(job.destination, { progress: () => 0x7fffffff }).then(
    () => done(verify(job.destination)),
    (error: unknown) => done({ ok: false, error: String(error) }),
  );
});

/**
 * Reads the copy back: it has SoulSpot's tables and passes SQLite's quick check. A backup that
 * silently copied nothing (as one on a connection inside a transaction does) never counts as made.
 */
function verify(file: string): { ok: true } | { ok: false; error: string } {
  let copy: Database.Database | undefined;
  try {
    copy = new Database(file, { fileMustExist: true });
    const tables = copy.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'downloads'");
    if ((tables.get() as { n: number }).n !== 1) return { ok: false, error: 'the copy is empty' };
    const check = copy.pragma('quick_check', { simple: true });
    return check === 'ok' ? { ok: true } : { ok: false, error: `quick_check: ${String(check)}` };
  } catch (error) {
    return { ok: false, error: String(error) };
  } finally {
    copy?.close();
  }
}
