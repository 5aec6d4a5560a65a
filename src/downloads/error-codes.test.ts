import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_POLICIES, errorPolicy, isErrorCode } from './error-codes.js';

describe('error policies', () => {
  it('has exactly one policy per code', () => {
    expect(Object.keys(ERROR_POLICIES).sort()).toEqual([...ERROR_CODES].sort());
  });

  it.each([
    // code, waitForDaemon, nextSource, sourceRetryable, block, local
    ['slskd_unavailable', true, false, true, 'none', false],
    ['network_error', true, false, true, 'none', false],
    ['rate_limited', true, false, true, 'none', false],
    ['source_offline', false, true, true, 'count', false],
    ['transfer_rejected', false, true, true, 'count', false],
    ['transfer_failed', false, true, true, 'count', false],
    ['queue_timeout', false, true, true, 'count', false],
    ['timeout', false, true, true, 'count', false],
    ['file_not_found', false, true, false, 'file', false],
    ['invalid_file', false, true, false, 'file', false],
    ['track_not_in_release', false, true, false, 'none', false],
    ['user_blocked', false, true, false, 'user', false],
    ['disk_full', false, false, true, 'none', true],
    ['permission_denied', false, false, true, 'none', true],
    ['tagging_failed', false, false, true, 'none', true],
    ['cover_failed', false, false, true, 'none', true],
    ['no_results', false, false, true, 'none', false],
    ['cancelled', false, false, false, 'none', false],
  ] as const)(
    '%s: wait=%s next=%s retry=%s block=%s local=%s',
    (code, wait, next, retry, block, local) => {
      expect(errorPolicy(code)).toEqual({
        waitForDaemon: wait,
        nextSource: next,
        sourceRetryable: retry,
        block,
        local,
      });
    },
  );

  it('never blames a source for the daemon or the local disk', () => {
    for (const code of ERROR_CODES) {
      const p = errorPolicy(code);
      if (p.waitForDaemon || p.local) expect(p.block).toBe('none');
    }
  });

  it('recognises its own codes only', () => {
    expect(isErrorCode('disk_full')).toBe(true);
    expect(isErrorCode('DISK_FULL')).toBe(false);
    expect(isErrorCode('')).toBe(false);
  });
});
