import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorPolicy } from '../../downloads/error-codes.js';
import {
  SAB_FAILURE_PATTERNS,
  SAB_HISTORY_STATES,
  SAB_QUEUE_STATES,
  sabFailureKind,
} from '../sabnzbd/sabnzbd.mapping.js';
import { historyOutcome, NZBGET_HISTORY_OUTCOMES, NZBGET_QUEUE_STATES } from './nzbget.mapping.js';
import { describeUsenetFailure, USENET_FAILURE_KINDS, USENET_FAILURES } from './usenet-failures.js';

// Invariants of the Usenet state and failure tables (NZBGet and SABnzbd).

describe('Usenet failure kinds', () => {
  it('each kind has a fixed error code and a message', () => {
    for (const kind of USENET_FAILURE_KINDS) {
      expect(ERROR_CODES).toContain(USENET_FAILURES[kind].code);
      expect(USENET_FAILURES[kind].message.length).toBeGreaterThan(10);
    }
  });

  it('a damaged, missing or locked release is never asked for again; a full disk is local', () => {
    for (const kind of [
      'missing_articles',
      'par_failed',
      'unpack_failed',
      'password',
      'invalid_nzb',
    ] as const) {
      expect(errorPolicy(USENET_FAILURES[kind].code).sourceRetryable).toBe(false);
    }
    expect(errorPolicy(USENET_FAILURES.disk_full.code)).toMatchObject({
      local: true,
      nextSource: false,
    });
    expect(USENET_FAILURES.cancelled.code).toBe('cancelled');
  });

  it('the message carries the client and its own words', () => {
    const { message } = describeUsenetFailure('NZBGet', 'password', 'WARNING/PASSWORD');
    expect(message).toBe(
      'the release is password-protected or encrypted (NZBGet: WARNING/PASSWORD)',
    );
  });
});

describe('NZBGet tables', () => {
  it('queue states are never final: a job in the queue is still going', () => {
    for (const state of Object.values(NZBGET_QUEUE_STATES)) {
      expect(['queued_locally', 'initializing', 'in_progress']).toContain(state);
    }
  });

  it('every SUCCESS status succeeds, every FAILURE status fails with a kind', () => {
    for (const [status, outcome] of Object.entries(NZBGET_HISTORY_OUTCOMES)) {
      expect(status).toMatch(/^(SUCCESS|WARNING|FAILURE|DELETED)\/[A-Z]+$/);
      if (status.startsWith('SUCCESS/')) expect(outcome.state).toBe('succeeded');
      if (status.startsWith('FAILURE/')) expect(outcome.state).toBe('errored');
      if (outcome.state !== 'succeeded') expect(USENET_FAILURE_KINDS).toContain(outcome.failure);
    }
  });

  it('maps the named failures to their kinds', () => {
    expect(historyOutcome('FAILURE/HEALTH')).toEqual({
      state: 'errored',
      failure: 'missing_articles',
    });
    expect(historyOutcome('FAILURE/PAR')).toEqual({ state: 'errored', failure: 'par_failed' });
    expect(historyOutcome('FAILURE/UNPACK')).toEqual({
      state: 'errored',
      failure: 'unpack_failed',
    });
    expect(historyOutcome('FAILURE/UNPACK', 'PASSWORD')).toEqual({
      state: 'errored',
      failure: 'password',
    });
    expect(historyOutcome('FAILURE/UNPACK', 'SPACE')).toEqual({
      state: 'errored',
      failure: 'disk_full',
    });
    expect(historyOutcome('WARNING/SPACE')).toEqual({ state: 'errored', failure: 'disk_full' });
    expect(historyOutcome('DELETED/MANUAL').state).toBe('cancelled');
  });

  it('an unknown status falls back on its kind, never on success by accident', () => {
    expect(historyOutcome('SUCCESS/NEWTHING').state).toBe('succeeded');
    expect(historyOutcome('FAILURE/NEWTHING')).toEqual({ state: 'errored', failure: 'unknown' });
    expect(historyOutcome('WARNING/NEWTHING').state).toBe('errored');
    expect(historyOutcome('DELETED/NEWTHING').state).toBe('cancelled');
  });
});

describe('SABnzbd tables', () => {
  it('queue states are never final, and only Completed succeeds in the history', () => {
    for (const state of Object.values(SAB_QUEUE_STATES)) {
      expect(['queued_locally', 'initializing', 'in_progress']).toContain(state);
    }
    const succeeding = Object.entries(SAB_HISTORY_STATES).filter(([, s]) => s === 'succeeded');
    expect(succeeding.map(([k]) => k)).toEqual(['Completed']);
  });

  it('every pattern names a known kind', () => {
    for (const [, kind] of SAB_FAILURE_PATTERNS) expect(USENET_FAILURE_KINDS).toContain(kind);
  });

  it.each([
    ['Download failed - Not on your server(s) - Download', 'missing_articles'],
    ['Aborted, cannot be completed - https://sabnzbd.org/not-complete', 'missing_articles'],
    ['completed with a truncated file: 1 articles were missing', 'missing_articles'],
    ['Repair failed, not enough repair blocks (12 short)', 'par_failed'],
    ['Unpacking failed, CRC error', 'unpack_failed'],
    ['Unpacking failed, archive requires a password', 'password'],
    ['Aborted, encryption detected', 'password'],
    ['Unpacking failed, write error or disk is full?', 'disk_full'],
    ['Too little diskspace, not enough space left', 'disk_full'],
    ['Duplicate NZB', 'dupe'],
    ['Something new went wrong', 'unknown'],
  ])('%s → %s', (text, kind) => {
    expect(sabFailureKind(text)).toBe(kind);
  });
});
