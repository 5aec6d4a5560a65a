import { constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { access, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import { NOT_IN_DOWNLOADS_FOLDER } from '../downloads/import.step.js';
import type { LoggedEvent } from '../events/event-log.js';
import { freeBytes as statfsFreeBytes } from '../library/disk.js';
import type { ClockRepository } from './clock.repository.js';
import {
  clockSkewCheck,
  databaseCheck,
  downloadsFolderCheck,
  ffmpegCheck,
  HEALTH_CHECKS,
  libraryFreeSpaceCheck,
  libraryWritableCheck,
  notificationsCheck,
  providerCheck,
  type FolderObservation,
  type HealthCheck,
  type NotificationObservation,
  type ProviderObservation,
} from './health-checks.js';

/** Where the real causes go: the process log (it scrubs secrets from every line). */
export interface HealthChecksLog {
  warn(details: object, message: string): void;
}

export interface HealthChecksDeps {
  handle: DatabaseHandle;
  /** The provider health monitor's last answer (no request of its own). */
  provider: () => ProviderObservation;
  /** The folder slskd's finished files are read from, as SoulSpot sees it (null: not known). */
  downloadsRoot: () => Promise<string | null>;
  /** Whether SOULSPOT_SLSKD_DOWNLOADS_DIR names that folder (else it is slskd's own view). */
  downloadsDirOverridden: boolean;
  libraryDir: string;
  minFreeBytes: number;
  /** ffmpeg's presence (the transcode checker's cached probe). */
  ffmpeg: () => Promise<{ available: boolean }>;
  /** The notification targets' state; absent where notifications are not wired in (no check). */
  notifications?: () => Promise<NotificationObservation>;
  /** The heartbeat rows; absent: no clock-skew check. */
  clocks?: { repo: ClockRepository; owner: string };
  /** Injected in tests (statfs of a full disk); default statfs. */
  freeBytes?: (dir: string) => Promise<number>;
  /** Process clock (tests skew it). */
  now?: () => number;
  /** Results are reused this long (the endpoint is open: a flood must not mean a flood of I/O). */
  cacheMs?: number;
  /** How often this process writes its heartbeat row. */
  heartbeatMs?: number;
  log?: HealthChecksLog;
}

const DEFAULT_CACHE_MS = 5_000;
const DEFAULT_HEARTBEAT_MS = 10_000;
/** Rows of processes gone this long are removed. */
const PRUNE_AFTER_MS = 24 * 3_600_000;

/** Resolves null when `promise` takes longer than `ms` (the check then reports no answer). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs the health checks: gathers each observation (file system, database, provider state),
 * judges it with health-checks.ts and logs the cause of anything not ok. Results are cached for a
 * few seconds and one run serves every request that arrives during it.
 */
export function createHealthChecks(deps: HealthChecksDeps) {
  const now = deps.now ?? Date.now;
  const cacheMs = deps.cacheMs ?? DEFAULT_CACHE_MS;
  const free = deps.freeBytes ?? statfsFreeBytes;
  let cached: { at: number; checks: HealthCheck[] } | null = null;
  let running: Promise<HealthCheck[]> | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  /** The last filing's word on slskd's file: found (a completion) or not in the folder. */
  let lastFinished: 'found' | 'not-found' | null = null;
  /** This process's offset from the database's clock, from its last heartbeat. */
  let selfOffsetMs: number | null = null;
  /** The causes last logged per check, so a lasting problem is logged once, not every run. */
  const logged = new Map<string, string>();

  const cause = (check: string, error: unknown): void => {
    const detail = error instanceof Error ? error.message : String(error);
    if (logged.get(check) === detail) return;
    logged.set(check, detail);
    deps.log?.warn({ check, detail }, 'health check failed');
  };

  const folder = async (): Promise<FolderObservation> => {
    let root: string | null;
    try {
      root = await deps.downloadsRoot();
    } catch (error) {
      cause('slskd-downloads-folder', error);
      root = null;
    }
    if (root === null) return { kind: 'unknown' };
    const overridden = deps.downloadsDirOverridden;
    try {
      const s = await stat(root);
      if (!s.isDirectory()) return { kind: 'not-a-folder', overridden };
      await access(root, constants.R_OK | constants.X_OK);
      return { kind: 'visible', lastFinished };
    } catch (error) {
      cause('slskd-downloads-folder', error);
      const code = (error as NodeJS.ErrnoException).code;
      return {
        kind: code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable',
        overridden,
      };
    }
  };

  const database = async (): Promise<number | null> => {
    const started = performance.now();
    try {
      const answered = await within(
        sql`SELECT 1`.execute(deps.handle.db).then(() => true),
        HEALTH_CHECKS.database.timeoutMs,
      );
      if (answered === null)
        throw new Error(`no answer within ${HEALTH_CHECKS.database.timeoutMs} ms`);
      return performance.now() - started;
    } catch (error) {
      cause('database', error);
      return null;
    }
  };

  const clock = async (): Promise<HealthCheck | null> => {
    if (!deps.clocks) return null;
    try {
      // A fresh beat: the offset is measured now, not up to a heartbeat interval ago.
      selfOffsetMs = await deps.clocks.repo.beat(deps.clocks.owner, now());
      const others = await deps.clocks.repo.othersLive(
        deps.clocks.owner,
        HEALTH_CHECKS['clock-skew'].liveWithinMs,
      );
      return clockSkewCheck({
        selfOffsetMs,
        othersOffsetMs: others,
        dialect: deps.handle.dialect,
      });
    } catch (error) {
      cause('clock-skew', error);
      return {
        name: 'clock-skew',
        status: 'warning',
        message: 'the clocks cannot be compared: the database did not answer',
      };
    }
  };

  /**
   * Whether a file can be created in the library now. Unlike disk.ts's canWrite it never creates
   * the folder: a check must not make a missing library (an unmounted share) appear on the local
   * disk, where filing would then go.
   */
  const writable = async (): Promise<boolean> => {
    const probe = path.join(deps.libraryDir, `.soulspot-health-${randomBytes(4).toString('hex')}`);
    try {
      await writeFile(probe, '', { flag: 'wx' });
      await unlink(probe);
      return true;
    } catch (error) {
      cause('library-writable', error);
      await unlink(probe).catch(() => undefined);
      return false;
    }
  };

  const library = async (): Promise<[HealthCheck, HealthCheck]> => {
    const canWrite = await writable();
    let bytes: number | null = null;
    try {
      bytes = await free(deps.libraryDir);
    } catch (error) {
      cause('library-free-space', error);
    }
    return [libraryWritableCheck(canWrite), libraryFreeSpaceCheck(bytes, deps.minFreeBytes)];
  };

  const notifications = async (): Promise<HealthCheck | null> => {
    if (!deps.notifications) return null;
    try {
      return notificationsCheck(await deps.notifications());
    } catch (error) {
      cause('notifications', error);
      return {
        name: 'notifications',
        status: 'warning',
        message: "the notification targets' state cannot be read",
      };
    }
  };

  const runAll = async (): Promise<HealthCheck[]> => {
    const [folderState, latency, [libraryCheck, space], ffmpeg, notify, skew] = await Promise.all([
      folder(),
      database(),
      library(),
      deps.ffmpeg().catch(() => ({ available: false })),
      notifications(),
      clock(),
    ]);
    const checks: HealthCheck[] = [
      downloadsFolderCheck(folderState),
      libraryCheck,
      space,
      databaseCheck(deps.handle.dialect, latency),
      ffmpegCheck(ffmpeg.available),
    ];
    if (notify) checks.push(notify);
    if (skew) checks.push(skew);
    for (const c of checks) if (c.status === 'ok') logged.delete(c.name);
    return checks;
  };

  const beat = async (): Promise<void> => {
    if (!deps.clocks) return;
    try {
      selfOffsetMs = await deps.clocks.repo.beat(deps.clocks.owner, now());
    } catch (error) {
      cause('clock-skew', error);
    }
  };

  return {
    /**
     * The checks: the provider's from the health monitor's state now (no I/O), the others at most
     * `cacheMs` old.
     */
    async run(): Promise<HealthCheck[]> {
      let rest: HealthCheck[];
      if (cached && now() - cached.at < cacheMs) rest = cached.checks;
      else {
        running ??= runAll()
          .then((checks) => {
            cached = { at: now(), checks };
            return checks;
          })
          .finally(() => {
            running = null;
          });
        rest = await running;
      }
      return [providerCheck(deps.provider()), ...rest];
    },

    /**
     * Learns from the event log whether filing found slskd's files: a completion did; a download
     * failed because the file is not in the downloads folder did not.
     */
    observe(event: LoggedEvent): void {
      if (event.type === 'download.completed') lastFinished = 'found';
      else if (
        event.type === 'download.failed' &&
        event.payload.errorCode === 'file_not_found' &&
        event.payload.errorMessage?.startsWith(NOT_IN_DOWNLOADS_FOLDER) === true
      ) {
        lastFinished = 'not-found';
      }
    },

    /** Writes this process's heartbeat now and on a timer; prunes rows of long-gone processes. */
    start(): void {
      if (!deps.clocks || heartbeat) return;
      void beat();
      void deps.clocks.repo
        .prune(PRUNE_AFTER_MS)
        .catch((error: unknown) => cause('clock-skew', error));
      heartbeat = setInterval(() => void beat(), deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
      heartbeat.unref();
    },
    stop(): void {
      if (heartbeat) clearInterval(heartbeat);
      heartbeat = null;
    },
    /** This process's clock offset from the database's at its last heartbeat (ms), or null. */
    get clockOffsetMs(): number | null {
      return selfOffsetMs;
    },
  };
}

export type HealthChecks = ReturnType<typeof createHealthChecks>;
