import { lstat, readdir, realpath, unlink } from 'node:fs/promises';
import path from 'node:path';
import { unlinkConfined } from './confine.js';

/**
 * What a crash can orphan, and how it is swept (at start and periodically, see main.ts):
 * - in the library, hidden temp files of an interrupted copy (`.<name>.soulspot-<hex>.part`) and
 *   name reservations of a filesystem without hard links (`.<name>.soulspot.lock`);
 * - in the downloads folder, finished files no download claims. Those are reported; only files that
 *   SoulSpot itself downloaded and recorded (an attempt's local_path) for a download that is over
 *   are deleted, and only inside the confined downloads folder. A file slskd fetched for someone
 *   else, or one SoulSpot never recorded, is never touched.
 */

const TEMP_PATTERN = /^\..*\.soulspot-[0-9a-f]+\.part$/;
const LOCK_PATTERN = /^\..*\.soulspot\.lock$/;
/**
 * Post-processing's working copies (`.<name>.soulspot-work-<attempt>.<ext>`). A retry resumes from
 * one, so they are kept for a day whatever the caller's age limit; one older than that belongs to
 * a download nobody retried (or that started over), and a retry without it redoes the steps.
 */
const WORK_PATTERN = /^\..*\.soulspot-work-[0-9a-f]{8}\.[^.]+$/;
const WORK_MIN_AGE_MS = 24 * 3_600_000;

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

export interface StaleTempOptions {
  /**
   * Only files at least this old are removed, so a move in progress (in this process or another
   * SoulSpot process sharing the library) is not broken. Default 10 minutes; 0 removes all.
   */
  olderThanMs?: number;
  now?: number;
}

/** Regular files below a folder; symlinks are not followed, unreadable folders skipped. */
async function* regularFiles(root: string): AsyncGenerator<{ full: string; name: string }> {
  const pending = [root];
  for (let directory = pending.pop(); directory !== undefined; directory = pending.pop()) {
    let entries;
    try {
      entries = await readdir(directory, { withFileTypes: true });
    } catch (error) {
      if (codeOf(error) === 'ENOENT' || codeOf(error) === 'EACCES') continue;
      throw error;
    }
    for (const entry of entries) {
      const full = path.join(directory, entry.name);
      // Dirent types come from lstat: symlinked folders are not followed out of the root.
      if (entry.isDirectory()) pending.push(full);
      else if (entry.isFile()) yield { full, name: entry.name };
    }
  }
}

/** Deletes leftover temp and lock files under the library (after a crash); returns how many. */
export async function removeStaleTempFiles(
  libraryRoot: string,
  options: StaleTempOptions = {},
): Promise<number> {
  const olderThan = options.olderThanMs ?? 10 * 60_000;
  const now = options.now ?? Date.now();
  let removed = 0;
  for await (const { full, name } of regularFiles(await realpath(libraryRoot))) {
    const work = WORK_PATTERN.test(name);
    if (!work && !TEMP_PATTERN.test(name) && !LOCK_PATTERN.test(name)) continue;
    const stats = await lstat(full).catch(() => null);
    const minAge = work ? Math.max(olderThan, WORK_MIN_AGE_MS) : olderThan;
    if (!stats || now - stats.mtimeMs < minAge) continue;
    await unlink(full).then(
      () => removed++,
      (error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw error;
      },
    );
  }
  return removed;
}

/** A file an attempt recorded as where slskd put it, and whether its download still needs it. */
export interface RecordedFile {
  path: string;
  size: number;
  /**
   * `active`: the download is still running; `kept`: over, but the file is kept on purpose (a local
   * fault such as a full disk: the download is filed from it later); `finished`: nothing needs it.
   */
  need: 'active' | 'kept' | 'finished';
}

export interface DownloadsSweep {
  /** Files in the downloads folder that no download recorded (reported, never deleted). */
  unclaimed: string[];
  /** Files SoulSpot recorded for downloads that are over, now deleted. */
  removed: string[];
}

async function realOrSame(file: string): Promise<string> {
  return realpath(file).catch(() => path.resolve(file));
}

export interface DownloadsSweepOptions {
  /**
   * Recorded files modified more recently than this are left for a later sweep (default 1 hour):
   * slskd may just have put a new download of the same remote file under the same name, which a
   * running download is about to record as its own.
   */
  minAgeMs?: number;
  now?: number;
}

/** Sweeps the downloads folder against the recorded files (see the top of this file). */
export async function sweepDownloads(
  downloadsRoot: string,
  recorded: RecordedFile[],
  options: DownloadsSweepOptions = {},
): Promise<DownloadsSweep> {
  const minAge = options.minAgeMs ?? 60 * 60_000;
  const now = options.now ?? Date.now();
  const root = await realpath(downloadsRoot);
  const byPath = new Map<string, RecordedFile[]>();
  for (const r of recorded) {
    const key = await realOrSame(r.path);
    byPath.set(key, [...(byPath.get(key) ?? []), r]);
  }
  const result: DownloadsSweep = { unclaimed: [], removed: [] };
  for await (const { full } of regularFiles(root)) {
    const claims = byPath.get(full);
    if (!claims) {
      result.unclaimed.push(full);
      continue;
    }
    if (claims.some((c) => c.need !== 'finished')) continue;
    const stats = await lstat(full).catch(() => null);
    // The size guard: a file under a recorded name that is not the one recorded is left alone.
    if (!stats?.isFile() || !claims.some((c) => c.size === stats.size)) continue;
    if (now - stats.mtimeMs < minAge) continue;
    if (await unlinkConfined(root, full, { dev: stats.dev, ino: stats.ino })) {
      result.removed.push(full);
    }
  }
  return result;
}

export interface SweeperOptions {
  libraryDir: string;
  /** The confined downloads folder, or null while it is not known (slskd unreachable). */
  downloadsRoot: () => Promise<string | null>;
  recordedFiles: () => Promise<RecordedFile[]>;
  intervalMs: number;
  /** Library temp files younger than this are left (another process may be mid-move). */
  tempOlderThanMs: number;
  /** Recorded downloads-folder files younger than this are left (see DownloadsSweepOptions). */
  downloadsMinAgeMs?: number;
  onReport: (report: SweepReport) => void;
  onError: (error: unknown) => void;
}

export interface SweepReport {
  tempFilesRemoved: number;
  unclaimed: string[];
  removed: string[];
}

/** Runs the sweep now and then every `intervalMs`; `last` is the latest report. */
export function createSweeper(options: SweeperOptions) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<SweepReport | null> | null = null;
  let last: SweepReport | null = null;

  async function runOnce(): Promise<SweepReport | null> {
    const tempFilesRemoved = await removeStaleTempFiles(options.libraryDir, {
      olderThanMs: options.tempOlderThanMs,
    });
    const root = await options.downloadsRoot();
    const downloads = root
      ? await sweepDownloads(root, await options.recordedFiles(), {
          minAgeMs: options.downloadsMinAgeMs,
        })
      : { unclaimed: [], removed: [] };
    last = { tempFilesRemoved, ...downloads };
    options.onReport(last);
    return last;
  }

  const run = (): Promise<SweepReport | null> =>
    (running ??= runOnce()
      .catch((error: unknown) => {
        options.onError(error);
        return null;
      })
      .finally(() => {
        running = null;
      }));

  return {
    start(): void {
      void run();
      timer = setInterval(() => void run(), options.intervalMs);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    run,
    get last(): SweepReport | null {
      return last;
    },
  };
}

export type Sweeper = ReturnType<typeof createSweeper>;
