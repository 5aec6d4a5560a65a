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
  /** Each probe is given up on after this long (default PROBE_TIMEOUT_MS; tests shorten it). */
  probeTimeoutMs?: number;
  /**
   * The queue's counts by status for /api/health's `queue` (downloads service countByStatus),
   * read through the same cache and time limit as the checks; absent: `queueCounts()` is `{}`.
   */
  queueCounts?: () => Promise<Record<string, number>>;
  /** How often this process writes its heartbeat row. */
  heartbeatMs?: number;
  log?: HealthChecksLog;
}

const DEFAULT_CACHE_MS = 5_000;
/**
 * Every probe but the database's (HEALTH_CHECKS.database.timeoutMs) is given up on after this: a
 * hung NFS mount, a PostgreSQL that accepts connections but never answers, a pool whose every
 * connection is taken. /api/health must still answer then, and say which check is stuck.
 */
export const PROBE_TIMEOUT_MS = 3_000;
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
 * Probes with a time limit, at most one of each kind in flight. A probe that outlives its limit is
 * not started again by the next run but waited on again: a hung `stat` holds one of libuv's four
 * threads and a hung query a pool slot, so starting a new one every few seconds would soon stall
 * the whole process (and the open endpoint would let anyone make it so). Resolves null on timeout;
 * rejects when the probe does.
 */
export function createBoundedProbes(timeoutMs: number) {
  const inflight = new Map<string, Promise<unknown>>();
  return <T>(kind: string, probe: () => Promise<T>): Promise<T | null> => {
    let running = inflight.get(kind) as Promise<T> | undefined;
    if (!running) {
      const started = probe();
      running = started;
      inflight.set(kind, started);
      const clear = (): void => {
        if (inflight.get(kind) === started) inflight.delete(kind);
      };
      started.then(clear, clear);
    }
    return within(running, timeoutMs);
  };
}

/** The error a probe that gave no answer in time is logged with. */
function noAnswer(ms: number): Error {
  return new Error(`no answer within ${ms} ms`);
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
  const probeMs = deps.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  const bounded = createBoundedProbes(probeMs);
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
      // Asks slskd when no override names the folder: a slow slskd makes it "not known yet".
      const known = await bounded('downloads-root', async () => ({
        root: await deps.downloadsRoot(),
      }));
      if (known === null) cause('slskd-downloads-folder', noAnswer(probeMs));
      root = known?.root ?? null;
    } catch (error) {
      cause('slskd-downloads-folder', error);
      root = null;
    }
    if (root === null) return { kind: 'unknown' };
    const dir = root;
    const overridden = deps.downloadsDirOverridden;
    try {
      const seen = await bounded('downloads-folder', async () => {
        const s = await stat(dir);
        if (!s.isDirectory()) return 'not-a-folder' as const;
        await access(dir, constants.R_OK | constants.X_OK);
        return 'visible' as const;
      });
      if (seen === null) throw noAnswer(probeMs);
      if (seen === 'not-a-folder') return { kind: 'not-a-folder', overridden };
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
        bounded('database', () => sql`SELECT 1`.execute(deps.handle.db).then(() => true)),
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
      const { repo, owner } = deps.clocks;
      const read = await bounded('clock', async () => {
        // A fresh beat: the offset is measured now, not up to a heartbeat interval ago.
        const self = await repo.beat(owner, now());
        selfOffsetMs = self;
        return {
          self,
          others: await repo.othersLive(owner, HEALTH_CHECKS['clock-skew'].liveWithinMs),
        };
      });
      if (read === null) throw noAnswer(probeMs);
      return clockSkewCheck({
        selfOffsetMs: read.self,
        othersOffsetMs: read.others,
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
      const written = await bounded('library-writable', async () => {
        await writeFile(probe, '', { flag: 'wx' });
        await unlink(probe);
        return true;
      });
      if (written === null) throw noAnswer(probeMs);
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
      bytes = await bounded('library-free-space', () => free(deps.libraryDir));
      if (bytes === null) throw noAnswer(probeMs);
    } catch (error) {
      cause('library-free-space', error);
    }
    return [libraryWritableCheck(canWrite), libraryFreeSpaceCheck(bytes, deps.minFreeBytes)];
  };

  const notifications = async (): Promise<HealthCheck | null> => {
    if (!deps.notifications) return null;
    try {
      const state = await bounded('notifications', deps.notifications);
      if (state === null) throw noAnswer(probeMs);
      return notificationsCheck(state);
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
      bounded('ffmpeg', deps.ffmpeg).then(
        (r) => r ?? { available: false },
        () => ({ available: false }),
      ),
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
    const { repo, owner } = deps.clocks;
    try {
      // Bounded like the probes: a database that does not answer gets one waiting beat, not one
      // more every interval.
      const offset = await bounded('heartbeat', () => repo.beat(owner, now()));
      if (offset !== null) selfOffsetMs = offset;
    } catch (error) {
      cause('clock-skew', error);
    }
  };

  let queue: { at: number; counts: Record<string, number> } | null = null;
  /** The last counts read; shown while a read gives no answer in time. */
  let lastQueue: Record<string, number> = {};
  let queueRead: Promise<Record<string, number>> | null = null;

  return {
    /**
     * /api/health's `queue`: the downloads by status, at most `cacheMs` old (the endpoint is open;
     * each read is a grouped count), one read shared by concurrent requests, and the last counts
     * read when the database gives no answer in time (the database check then says so).
     */
    async queueCounts(): Promise<Record<string, number>> {
      const source = deps.queueCounts;
      if (!source) return {};
      if (queue && now() - queue.at < cacheMs) return queue.counts;
      queueRead ??= bounded('queue', source)
        .then(
          (counts) => {
            if (counts === null) return lastQueue;
            lastQueue = counts;
            queue = { at: now(), counts };
            return counts;
          },
          (error: unknown) => {
            cause('database', error);
            return lastQueue;
          },
        )
        .finally(() => {
          queueRead = null;
        });
      return queueRead;
    },

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
