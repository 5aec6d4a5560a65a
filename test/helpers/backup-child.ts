/**
 * A backup of a SQLite file in a process of its own, so a test can start it under a file-size
 * limit (`prlimit --fsize`): writes past it fail with EFBIG (Node ignores SIGXFSZ), as they fail
 * with ENOSPC on a full disk. Prints `{ok, error?, entries}` as JSON: the backups folder's entries
 * after the attempt. Argv: <sqlite file> <data dir>.
 */
import { readdirSync } from 'node:fs';
import { createBackupService } from '../../src/backup/backup.service.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { backupSqliteFile } from '../../src/db/sqlite-backup.js';

const [source, dataDir] = process.argv.slice(2) as [string, string];
// Only what a SQLite backup uses of a handle: opening the database here would write to it.
const handle = {
  dialect: 'sqlite',
  backupTo: (file: string) => backupSqliteFile(source, file),
} as unknown as DatabaseHandle;
const backups = createBackupService({
  dataDir,
  handle,
  databaseUrl: null,
  settings: () => ({}),
  retention: () => 7,
});
let result: { ok: boolean; error?: string };
try {
  await backups.create();
  result = { ok: true };
} catch (error) {
  result = { ok: false, error: String(error) };
}
process.stdout.write(`${JSON.stringify({ ...result, entries: readdirSync(backups.dir) })}\n`);
