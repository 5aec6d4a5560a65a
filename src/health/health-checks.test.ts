import { describe, expect, it } from 'vitest';
import {
  CHECK_NAMES,
  clockSkewCheck,
  databaseCheck,
  downloadsFolderCheck,
  ffmpegCheck,
  HEALTH_CHECKS,
  libraryFreeSpaceCheck,
  libraryWritableCheck,
  notificationsCheck,
  providerCheck,
  worstStatus,
} from './health-checks.js';

const MB = 1_048_576;

describe('HEALTH_CHECKS (the thresholds table)', () => {
  it('has one row per check and nothing else', () => {
    expect(Object.keys(HEALTH_CHECKS).sort()).toEqual([...CHECK_NAMES].sort());
  });

  it('orders every pair of thresholds: the error is the stricter', () => {
    const skew = HEALTH_CHECKS['clock-skew'];
    expect(skew.warningMs).toBeLessThan(skew.errorMs);
    // A skew near a lease period would let a lease be taken over while its holder works.
    expect(skew.errorMs).toBeLessThan(30_000);
    expect(HEALTH_CHECKS.database.warningLatencyMs).toBeLessThan(HEALTH_CHECKS.database.timeoutMs);
    expect(HEALTH_CHECKS['library-free-space'].warningMarginBytes).toBeGreaterThan(0);
  });
});

describe('each check at its thresholds', () => {
  it('slskd: up ok, not probed yet warning, down or offline error', () => {
    expect(providerCheck({ name: 'slskd', state: 'up', version: '0.22.5' })).toEqual({
      name: 'slskd',
      status: 'ok',
      message: 'slskd 0.22.5 is reachable and logged in',
    });
    expect(providerCheck({ name: 'slskd', state: 'unknown' }).status).toBe('warning');
    expect(
      providerCheck({
        name: 'slskd',
        state: 'down',
        message: 'slskd is not logged in to Soulseek',
      }),
    ).toEqual({ name: 'slskd', status: 'error', message: 'slskd is not logged in to Soulseek' });
  });

  it("slskd's downloads folder: visible ok; not known warning; missing error; last file lost warning", () => {
    expect(downloadsFolderCheck({ kind: 'visible', lastFinished: 'found' }).status).toBe('ok');
    expect(downloadsFolderCheck({ kind: 'visible', lastFinished: null }).status).toBe('ok');
    expect(downloadsFolderCheck({ kind: 'visible', lastFinished: 'not-found' }).status).toBe(
      'warning',
    );
    expect(downloadsFolderCheck({ kind: 'unknown' }).status).toBe('warning');
    for (const kind of ['missing', 'not-a-folder', 'unreadable'] as const) {
      const c = downloadsFolderCheck({ kind, overridden: false });
      expect(c.status).toBe('error');
      expect(c.message).toContain('set SOULSPOT_SLSKD_DOWNLOADS_DIR');
    }
  });

  it('library free space: the reserve is the error line, reserve + margin the warning line', () => {
    const reserve = 100 * MB;
    const margin = HEALTH_CHECKS['library-free-space'].warningMarginBytes;
    expect(libraryFreeSpaceCheck(reserve - 1, reserve).status).toBe('error');
    expect(libraryFreeSpaceCheck(reserve, reserve).status).toBe('warning');
    expect(libraryFreeSpaceCheck(reserve + margin - 1, reserve).status).toBe('warning');
    expect(libraryFreeSpaceCheck(reserve + margin, reserve).status).toBe('ok');
    expect(libraryFreeSpaceCheck(null, reserve).status).toBe('error');
    expect(libraryFreeSpaceCheck(50 * MB, reserve).message).toBe(
      'only 50 MB free in the library, below the 100 MB reserve: filing stops (disk_full) until there is room',
    );
  });

  it('library writable, ffmpeg, database', () => {
    expect(libraryWritableCheck(true).status).toBe('ok');
    expect(libraryWritableCheck(false).status).toBe('error');
    expect(ffmpegCheck(true).status).toBe('ok');
    expect(ffmpegCheck(false).status).toBe('warning');
    expect(databaseCheck('postgres', 3)).toEqual({
      name: 'database',
      status: 'ok',
      message: 'the PostgreSQL database answers',
    });
    const slow = HEALTH_CHECKS.database.warningLatencyMs + 1;
    expect(databaseCheck('sqlite', slow).status).toBe('warning');
    expect(databaseCheck('postgres', null)).toEqual({
      name: 'database',
      status: 'error',
      message: 'the PostgreSQL database cannot be reached',
    });
  });

  it('notifications: none failing ok, some warning, all error', () => {
    expect(notificationsCheck({ total: 0, failing: 0 }).status).toBe('ok');
    expect(notificationsCheck({ total: 3, failing: 0 }).status).toBe('ok');
    expect(notificationsCheck({ total: 3, failing: 1 })).toEqual({
      name: 'notifications',
      status: 'warning',
      message: '1 of 3 notification targets are failing (see their deliveries)',
    });
    expect(notificationsCheck({ total: 2, failing: 2 }).status).toBe('error');
  });

  it('clock skew: between processes and, on PostgreSQL, against the server', () => {
    const { warningMs, errorMs } = HEALTH_CHECKS['clock-skew'];
    const check = (self: number, others: number[], dialect = 'postgres') =>
      clockSkewCheck({ selfOffsetMs: self, othersOffsetMs: others, dialect }).status;
    expect(check(5, [])).toBe('ok');
    expect(check(0, [warningMs - 1])).toBe('ok');
    expect(check(0, [warningMs])).toBe('warning');
    expect(check(0, [-errorMs])).toBe('error');
    // Both processes off the server by the same amount: they agree with each other, not with it.
    expect(check(warningMs, [warningMs])).toBe('warning');
    // SQLite's clock is the process's own: an offset there is only the statement's latency.
    expect(check(warningMs, [], 'sqlite')).toBe('ok');
  });

  it('worstStatus', () => {
    expect(worstStatus([ffmpegCheck(true)])).toBe('ok');
    expect(worstStatus([ffmpegCheck(true), ffmpegCheck(false)])).toBe('warning');
    expect(worstStatus([ffmpegCheck(false), libraryWritableCheck(false)])).toBe('error');
  });
});
