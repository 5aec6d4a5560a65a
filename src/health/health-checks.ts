/**
 * The health checks of `GET /api/health` (`checks: [{name, status, message}]`), as the *arr apps
 * show them: each check judges one observation by the thresholds in HEALTH_CHECKS and says, in
 * SoulSpot's own words, what is wrong and what to do. Pure: health-checks.service.ts gathers the
 * observations (the only I/O); health-checks.test.ts checks every row against these functions.
 *
 * The endpoint needs no API key, so a message never carries a secret, a path, an address or a
 * daemon's or driver's own text: those go to the log, where the service writes them.
 */

export type CheckStatus = 'ok' | 'warning' | 'error';

export interface HealthCheck {
  /** Stable id of the check (one of CHECK_NAMES). */
  name: CheckName;
  status: CheckStatus;
  message: string;
}

export const CHECK_NAMES = [
  'slskd',
  'slskd-downloads-folder',
  'library-writable',
  'library-free-space',
  'database',
  'ffmpeg',
  'notifications',
  'clock-skew',
] as const;

export type CheckName = (typeof CHECK_NAMES)[number];

const GIB = 1024 ** 3;

/**
 * What each check looks at and where it turns amber or red: one row per check. The numbers are
 * the thresholds the functions below use (none is hidden in them).
 */
export const HEALTH_CHECKS = {
  slskd: {
    looksAt: "the provider health probe's last answer (no request of its own)",
    warning: 'not probed yet',
    error: 'unreachable, or not logged in to Soulseek',
  },
  'slskd-downloads-folder': {
    looksAt:
      "the folder slskd's finished files are read from (SOULSPOT_SLSKD_DOWNLOADS_DIR, else slskd's own), and the last finished transfer's file",
    warning: 'not known yet (slskd not reachable); the last finished transfer was not found',
    error: 'the folder does not exist here, is not a folder or cannot be read',
  },
  'library-writable': {
    looksAt: 'a probe file created and removed in the library folder',
    warning: 'never',
    error: 'the probe file cannot be created (permissions, read-only mount, not a folder)',
  },
  'library-free-space': {
    looksAt: 'free bytes on the library file system (statfs), against SOULSPOT_MIN_FREE_MB',
    /** Warning while free space is below the reserve plus this margin. */
    warningMarginBytes: 1 * GIB,
    warning: 'less than the reserve + 1 GiB free',
    error: 'less than the reserve free: filing stops with disk_full',
  },
  database: {
    looksAt: 'one `SELECT 1` round trip',
    /** Slower than this is a warning. */
    warningLatencyMs: 1_000,
    /** No answer within this is an error. */
    timeoutMs: 3_000,
    warning: 'slower than 1 s',
    error: 'no answer within 3 s, or an error',
  },
  ffmpeg: {
    looksAt: '`ffmpeg -version` (cached for a minute by the transcode check)',
    warning: 'missing: lossless files are filed without the fake-lossless check',
    error: 'never (downloads still flow)',
  },
  notifications: {
    looksAt: "the notification targets' last deliveries (when notifications are wired in)",
    warning: 'some targets are failing',
    error: 'every target is failing',
  },
  'clock-skew': {
    looksAt:
      "each live process's clock against the database's (heartbeat rows, migration 023), and the processes against each other",
    /** A heartbeat row younger than this, by the database's clock, is a live process. */
    liveWithinMs: 60_000,
    /** Clocks this far apart warn: leases are written by one clock and judged by another. */
    warningMs: 2_000,
    /** This far apart is an error: a lease could be taken over while its holder still works. */
    errorMs: 15_000,
    warning: 'clocks 2 s or more apart',
    error: 'clocks 15 s or more apart',
  },
} as const satisfies Record<
  CheckName,
  { looksAt: string; warning: string; error: string; [threshold: string]: string | number }
>;

/** The health monitor's view of the daemon (src/providers/health-monitor.ts). */
export interface ProviderObservation {
  name: string;
  state: 'up' | 'down' | 'unknown';
  /** The monitor's public wording (already free of the daemon's own text). */
  message?: string;
  version?: string;
}

export function providerCheck(p: ProviderObservation): HealthCheck {
  const name = 'slskd';
  if (p.state === 'up') {
    const v = p.version ? ` ${p.version}` : '';
    return { name, status: 'ok', message: `${p.name}${v} is reachable and logged in` };
  }
  if (p.state === 'unknown') {
    return { name, status: 'warning', message: `${p.name} has not been checked yet` };
  }
  return { name, status: 'error', message: p.message ?? `${p.name} is unreachable` };
}

export type FolderObservation =
  /** slskd has not said where its downloads go (unreachable) and no override is set. */
  | { kind: 'unknown' }
  | { kind: 'missing' | 'not-a-folder' | 'unreadable'; overridden: boolean }
  | {
      kind: 'visible';
      /** The last transfer slskd finished, when one finished since start: was its file found? */
      lastFinished: 'found' | 'not-found' | null;
    };

export function downloadsFolderCheck(f: FolderObservation): HealthCheck {
  const name = 'slskd-downloads-folder';
  if (f.kind === 'unknown') {
    return {
      name,
      status: 'warning',
      message:
        "slskd's downloads folder is not known yet: slskd has not answered (set SOULSPOT_SLSKD_DOWNLOADS_DIR to name it)",
    };
  }
  if (f.kind === 'visible') {
    if (f.lastFinished === 'not-found') {
      return {
        name,
        status: 'warning',
        message:
          "the last file slskd finished was not found in its downloads folder as SoulSpot sees it: check SOULSPOT_SLSKD_DOWNLOADS_DIR (a container's mount)",
      };
    }
    return { name, status: 'ok', message: "slskd's downloads folder is visible to SoulSpot" };
  }
  const what = {
    missing: 'does not exist here',
    'not-a-folder': 'is not a folder here',
    unreadable: 'cannot be read by SoulSpot',
  }[f.kind];
  const fix = f.overridden
    ? 'check SOULSPOT_SLSKD_DOWNLOADS_DIR'
    : 'set SOULSPOT_SLSKD_DOWNLOADS_DIR to where its finished files appear on this machine';
  return { name, status: 'error', message: `slskd's downloads folder ${what}: ${fix}` };
}

export function libraryWritableCheck(writable: boolean): HealthCheck {
  return writable
    ? { name: 'library-writable', status: 'ok', message: 'the library folder is writable' }
    : {
        name: 'library-writable',
        status: 'error',
        message:
          'the library folder cannot be written: filing stops (permission_denied) until it can; check its owner, mode and mount',
      };
}

/** `free` null: the file system could not be asked (the writable check says why). */
export function libraryFreeSpaceCheck(free: number | null, minFreeBytes: number): HealthCheck {
  const name = 'library-free-space';
  if (free === null) {
    return { name, status: 'error', message: 'the free space of the library cannot be read' };
  }
  const mb = (n: number): string => `${Math.floor(n / 1_048_576)} MB`;
  if (free < minFreeBytes) {
    return {
      name,
      status: 'error',
      message: `only ${mb(free)} free in the library, below the ${mb(minFreeBytes)} reserve: filing stops (disk_full) until there is room`,
    };
  }
  if (free < minFreeBytes + HEALTH_CHECKS['library-free-space'].warningMarginBytes) {
    return {
      name,
      status: 'warning',
      message: `only ${mb(free)} free in the library (the reserve is ${mb(minFreeBytes)})`,
    };
  }
  return { name, status: 'ok', message: `${mb(free)} free in the library` };
}

/** `latencyMs` null: no answer (an error or the timeout). */
export function databaseCheck(dialect: string, latencyMs: number | null): HealthCheck {
  const name = 'database';
  const db = dialect === 'postgres' ? 'PostgreSQL' : 'SQLite';
  if (latencyMs === null) {
    return { name, status: 'error', message: `the ${db} database cannot be reached` };
  }
  if (latencyMs > HEALTH_CHECKS.database.warningLatencyMs) {
    return {
      name,
      status: 'warning',
      message: `the ${db} database is slow to answer (${Math.round(latencyMs)} ms)`,
    };
  }
  return { name, status: 'ok', message: `the ${db} database answers` };
}

export function ffmpegCheck(available: boolean): HealthCheck {
  return available
    ? { name: 'ffmpeg', status: 'ok', message: 'ffmpeg is present: lossless files are checked' }
    : {
        name: 'ffmpeg',
        status: 'warning',
        message:
          'ffmpeg was not found: lossless files are filed without the fake-lossless check (install ffmpeg or set SOULSPOT_FFMPEG_PATH)',
      };
}

export interface NotificationObservation {
  /** Targets configured. */
  total: number;
  /** Targets whose last delivery failed (and is being retried). */
  failing: number;
}

export function notificationsCheck(n: NotificationObservation): HealthCheck {
  const name = 'notifications';
  if (n.total === 0 || n.failing === 0) {
    const message =
      n.total === 0
        ? 'no notification targets are configured'
        : 'every notification target is delivering';
    return { name, status: 'ok', message };
  }
  const status = n.failing >= n.total ? 'error' : 'warning';
  return {
    name,
    status,
    message: `${n.failing} of ${n.total} notification targets are failing (see their deliveries)`,
  };
}

/** One live process's clock offset from the database's (process minus database, ms). */
export interface ClockObservation {
  /** This process's offset (PostgreSQL: its clock against the server's now()). */
  selfOffsetMs: number;
  /** Every other live process's offset. */
  othersOffsetMs: readonly number[];
  dialect: string;
}

export function clockSkewCheck(c: ClockObservation): HealthCheck {
  const name = 'clock-skew';
  const { warningMs, errorMs } = HEALTH_CHECKS['clock-skew'];
  const offsets = [c.selfOffsetMs, ...c.othersOffsetMs];
  // Between processes: the widest gap. Against the database server (PostgreSQL only: with SQLite
  // the database's clock is this process's own).
  const between = Math.max(...offsets) - Math.min(...offsets);
  const toServer = c.dialect === 'postgres' ? Math.abs(c.selfOffsetMs) : 0;
  const worst = Math.max(between, toServer);
  const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const what =
    between >= toServer
      ? `the clocks of the ${offsets.length} SoulSpot processes are up to ${secs(between)} apart`
      : `this process's clock is ${secs(toServer)} off the database server's`;
  const fix = 'synchronize them (NTP): leases are written by one clock and judged by another';
  if (worst >= errorMs) return { name, status: 'error', message: `${what}; ${fix}` };
  if (worst >= warningMs) return { name, status: 'warning', message: `${what}; ${fix}` };
  const n = offsets.length;
  return {
    name,
    status: 'ok',
    message:
      n === 1
        ? 'one SoulSpot process; its clock agrees with the database'
        : `the clocks of ${n} SoulSpot processes agree`,
  };
}

/** The worst status of a list (ok < warning < error). */
export function worstStatus(checks: readonly HealthCheck[]): CheckStatus {
  if (checks.some((c) => c.status === 'error')) return 'error';
  if (checks.some((c) => c.status === 'warning')) return 'warning';
  return 'ok';
}
