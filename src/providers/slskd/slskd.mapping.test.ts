import { describe, expect, it } from 'vitest';
import type { TransferState, TransferStatus } from '../provider.js';
import type { SlskdResponse, SlskdTransfer } from './slskd.api.js';
import {
  classifyExceptionText,
  classifyTransferFailure,
  extensionOf,
  isCompletedState,
  isFinalTransfer,
  mapResponses,
  mapSearchState,
  mapTransfer,
  parseSlskdTime,
  parseTimeSpan,
  parseTransferState,
  remoteBasename,
  remoteParentFolder,
} from './slskd.mapping.js';

describe('parseTransferState', () => {
  const cases: Array<[string, TransferState, boolean]> = [
    // §5.3: every string slskd sends
    ['Queued, Locally', 'queued_locally', false],
    ['Requested', 'requested', false],
    ['Queued, Remotely', 'queued_remotely', false],
    ['Initializing', 'initializing', false],
    ['InProgress', 'in_progress', false],
    ['Completed, Succeeded', 'succeeded', true],
    ['Completed, Cancelled', 'cancelled', true],
    ['Completed, TimedOut', 'timed_out', true],
    ['Completed, Errored', 'errored', true],
    ['Completed, Rejected', 'rejected', true],
    ['Completed, Aborted', 'aborted', true],
    // robustness: order, spacing, case, separators, numbers
    ['Succeeded, Completed', 'succeeded', true],
    ['  completed ,succeeded ', 'succeeded', true],
    ['Remotely, Queued', 'queued_remotely', false],
    ['Locally,Queued', 'queued_locally', false],
    ['Completed | Rejected', 'rejected', true],
    ['In Progress', 'in_progress', false],
    ['48', 'succeeded', true],
    ['4098', 'queued_remotely', false],
    ['2050', 'queued_locally', false],
    ['272', 'errored', true],
    // unknown: a bare Completed is a failure; anything else unknown is non-terminal
    ['Completed', 'errored', true],
    ['Completed, SomethingNew', 'errored', true],
    ['Queued', 'queued_locally', false],
    ['None', 'queued_locally', false],
    ['', 'queued_locally', false],
    ['Teleporting', 'queued_locally', false],
    // a failure flag wins over Succeeded if both ever appear
    ['Completed, Succeeded, Errored', 'errored', true],
  ];
  it.each(cases)('%j → %s (completed: %s)', (raw, state, completed) => {
    expect(parseTransferState(raw)).toBe(state);
    expect(isCompletedState(raw)).toBe(completed);
  });
});

describe('parseSlskdTime', () => {
  const cases: Array<[string | undefined, number | null]> = [
    ['2025-01-01T12:00:00.1234567', Date.UTC(2025, 0, 1, 12, 0, 0, 123)],
    ['2025-01-01T12:00:00', Date.UTC(2025, 0, 1, 12, 0, 0)],
    ['2025-01-01T12:00:00Z', Date.UTC(2025, 0, 1, 12, 0, 0)],
    ['2025-01-01T12:00:00.5Z', Date.UTC(2025, 0, 1, 12, 0, 0, 500)],
    ['2025-01-01T12:00:00.1234567Z', Date.UTC(2025, 0, 1, 12, 0, 0, 123)],
    ['2025-01-01T14:00:00+02:00', Date.UTC(2025, 0, 1, 12, 0, 0)],
    ['2025-01-01T07:30:00-0430', Date.UTC(2025, 0, 1, 12, 0, 0)],
    ['not a date', null],
    [undefined, null],
  ];
  it.each(cases)('%j → %s', (value, expected) => {
    expect(parseSlskdTime(value)).toBe(expected);
  });

  it('reads a time without Z as UTC whatever the local zone', () => {
    const previous = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      expect(parseSlskdTime('2025-06-01T00:00:00')).toBe(Date.UTC(2025, 5, 1));
    } finally {
      process.env.TZ = previous;
    }
  });
});

describe('parseTimeSpan', () => {
  const cases: Array<[string, number | null]> = [
    ['00:01:02.5000000', 62_500],
    ['00:00:00', 0],
    ['1.02:03:04', ((26 * 60 + 3) * 60 + 4) * 1000],
    ['12.00:00:00.0010000', 12 * 86_400_000 + 1],
    ['-00:00:01', -1000],
    ['garbage', null],
  ];
  it.each(cases)('%j → %s', (value, expected) => {
    expect(parseTimeSpan(value)).toBe(expected);
  });
});

describe('remote paths and extensions', () => {
  const cases: Array<[string, string, string | null, string]> = [
    [
      '@@xyz12\\Music\\Artist\\Album (2001)\\01 - Song.flac',
      '01 - Song.flac',
      'Album (2001)',
      'flac',
    ],
    ['C:\\Users\\me\\Music\\CD1\\02 Track.MP3', '02 Track.MP3', 'CD1', 'mp3'],
    ['Music/Album/03.Track.with.dots.m4a', '03.Track.with.dots.m4a', 'Album', 'm4a'],
    ['Music\\Album\\noextension', 'noextension', 'Album', ''],
    ['Music\\Album\\.hidden', '.hidden', 'Album', ''],
    ['Music\\Album\\trailingdot.', 'trailingdot.', 'Album', ''],
    ['single.ogg', 'single.ogg', null, 'ogg'],
  ];
  it.each(cases)('%j', (filename, base, parent, ext) => {
    expect(remoteBasename(filename)).toBe(base);
    expect(remoteParentFolder(filename)).toBe(parent);
    expect(extensionOf(filename)).toBe(ext);
  });
});

describe('mapSearchState', () => {
  const cases: Array<[string, string | undefined, boolean | undefined, 'running' | 'complete']> = [
    ['Requested', undefined, false, 'running'],
    ['Queued', undefined, false, 'running'],
    ['InProgress', undefined, false, 'running'],
    // the race: Completed is saved before endedAt
    ['Completed, TimedOut', undefined, true, 'running'],
    ['Completed, TimedOut', '2025-01-01T12:00:00Z', true, 'complete'],
    ['Completed, ResponseLimitReached', '2025-01-01T12:00:00Z', true, 'complete'],
    ['Completed, FileLimitReached', '2025-01-01T12:00:00Z', undefined, 'complete'],
    ['Completed, Cancelled', '2025-01-01T12:00:00Z', true, 'complete'],
    ['Completed, Errored', '2025-01-01T12:00:00Z', true, 'complete'],
    ['TimedOut, Completed', '2025-01-01T12:00:00Z', undefined, 'complete'],
  ];
  it.each(cases)('%j endedAt=%j isComplete=%j → %s', (state, endedAt, isComplete, expected) => {
    const search: { state: string; endedAt?: string; isComplete?: boolean } = { state };
    if (endedAt !== undefined) search.endedAt = endedAt;
    if (isComplete !== undefined) search.isComplete = isComplete;
    expect(mapSearchState(search)).toBe(expected);
  });
});

describe('mapResponses', () => {
  it('makes one candidate per unlocked file with the extension from the name', () => {
    const responses: SlskdResponse[] = [
      {
        username: 'alice',
        hasFreeUploadSlot: true,
        queueLength: 3,
        uploadSpeed: 1_000_000,
        fileCount: 2,
        lockedFileCount: 1,
        files: [
          {
            filename: '@@a\\Music\\Album\\01 - One.FLAC',
            size: 1000,
            extension: '',
            bitRate: 900,
            bitDepth: 16,
            sampleRate: 44100,
            length: 200,
            isVariableBitRate: false,
            isLocked: false,
            code: 1,
          },
          // all optional audio attributes missing, extension field wrong
          { filename: '@@a\\Music\\Album\\02 - Two.mp3', size: 2000, extension: 'flac' },
          { filename: '@@a\\Music\\Album\\empty.mp3', size: 0 },
        ],
        lockedFiles: [{ filename: '@@a\\Music\\Album\\03 - Locked.flac', size: 3000 }],
      },
      // hasFreeUploadSlot, queueLength, uploadSpeed all missing
      { username: 'bob', files: [{ filename: 'x\\y.ogg', size: 10 }] },
    ];
    expect(mapResponses(responses)).toEqual([
      {
        provider: 'slskd',
        username: 'alice',
        filename: '@@a\\Music\\Album\\01 - One.FLAC',
        size: 1000,
        extension: 'flac',
        bitRate: 900,
        sampleRate: 44100,
        bitDepth: 16,
        lengthSeconds: 200,
        isVariableBitRate: false,
        hasFreeUploadSlot: true,
        queueLength: 3,
        uploadSpeed: 1_000_000,
      },
      {
        provider: 'slskd',
        username: 'alice',
        filename: '@@a\\Music\\Album\\02 - Two.mp3',
        size: 2000,
        extension: 'mp3',
        hasFreeUploadSlot: true,
        queueLength: 3,
        uploadSpeed: 1_000_000,
      },
      {
        provider: 'slskd',
        username: 'bob',
        filename: 'x\\y.ogg',
        size: 10,
        extension: 'ogg',
        hasFreeUploadSlot: false,
        queueLength: 0,
        uploadSpeed: 0,
      },
    ]);
  });
});

describe('mapTransfer', () => {
  it('maps a full 0.26 transfer', () => {
    const raw: SlskdTransfer = {
      batchId: 'b1',
      id: 't1',
      username: 'alice',
      direction: 'Download',
      filename: '@@a\\Music\\Album\\01.flac',
      size: 1000,
      state: 'InProgress',
      requestedAt: '2025-01-01T12:00:00.1234567',
      enqueuedAt: '2025-01-01T12:00:01.1234567',
      startedAt: '2025-01-01T12:00:02Z',
      bytesTransferred: 250,
      averageSpeed: 125.5,
      attempts: 1,
      removed: false,
      bytesRemaining: 750,
      elapsedTime: '00:00:02',
      percentComplete: 25,
      remainingTime: '00:00:06',
    };
    expect(mapTransfer(raw)).toEqual({
      id: 't1',
      username: 'alice',
      filename: '@@a\\Music\\Album\\01.flac',
      size: 1000,
      state: 'in_progress',
      raw: 'InProgress',
      bytesTransferred: 250,
      averageSpeed: 125.5,
      percentComplete: 25,
      attempts: 1,
      batchId: 'b1',
      removed: false,
      // no zone on requestedAt: read as UTC
      requestedAt: Date.UTC(2025, 0, 1, 12, 0, 0, 123),
      startedAt: Date.UTC(2025, 0, 1, 12, 0, 2),
    });
  });

  it('tolerates the fields slskd omits (nulls) and a pre-0.25 shape', () => {
    const raw: SlskdTransfer = {
      id: 't2',
      username: 'bob',
      filename: 'x\\y.mp3',
      size: 400,
      state: 'Completed, Errored',
      exception: 'Download reported as failed by remote client',
      bytesTransferred: 100,
    };
    expect(mapTransfer(raw)).toEqual({
      id: 't2',
      username: 'bob',
      filename: 'x\\y.mp3',
      size: 400,
      state: 'errored',
      raw: 'Completed, Errored',
      bytesTransferred: 100,
      averageSpeed: 0,
      percentComplete: 25,
      exception: 'Download reported as failed by remote client',
    });
  });
});

function failed(state: TransferState, exception?: string, attempts?: number): TransferStatus {
  const status: TransferStatus = {
    id: 't',
    username: 'u',
    filename: 'f',
    size: 1,
    state,
    raw: state,
    bytesTransferred: 0,
    averageSpeed: 0,
    percentComplete: 0,
  };
  if (exception !== undefined) status.exception = exception;
  if (attempts !== undefined) status.attempts = attempts;
  return status;
}

describe('classifyTransferFailure', () => {
  const cases: Array<[TransferState, string | undefined, string]> = [
    // §5.4 rejections, immediate (prefixed) and late (reason only)
    ['rejected', 'Transfer rejected: File not shared.', 'file_not_found'],
    ['rejected', 'File not shared.', 'file_not_found'],
    ['rejected', 'Banned', 'user_blocked'],
    ['rejected', 'Transfer rejected: Banned', 'user_blocked'],
    ['rejected', 'Too many files', 'transfer_rejected'],
    ['rejected', 'Too many megabytes', 'transfer_rejected'],
    ['rejected', 'Too many files this week', 'transfer_rejected'],
    ['rejected', 'Overwhelmed with requests; try again later.', 'transfer_rejected'],
    ['rejected', 'Pending shutdown.', 'transfer_rejected'],
    ['rejected', 'Some new reason', 'transfer_rejected'],
    ['rejected', undefined, 'transfer_rejected'],
    // size mismatch
    [
      'aborted',
      'Transfer aborted: the remote size of 1234 does not match expected size 5678',
      'invalid_file',
    ],
    ['aborted', undefined, 'invalid_file'],
    // remote failure, connection drops, timeouts
    ['errored', 'Download reported as failed by remote client', 'transfer_failed'],
    // The peer's connection, not slskd's: a source failure.
    ['errored', 'Remote connection closed', 'transfer_failed'],
    ['errored', 'Connection reset by peer', 'transfer_failed'],
    ['errored', undefined, 'transfer_failed'],
    ['errored', 'Something odd happened', 'transfer_failed'],
    ['timed_out', 'Inactivity timeout of 15000 milliseconds was reached', 'timeout'],
    ['errored', 'Inactivity timeout of 15000 milliseconds was reached', 'timeout'],
    ['timed_out', 'The wait timed out after 30000 milliseconds', 'timeout'],
    ['timed_out', undefined, 'timeout'],
    // enqueue hard limit (TimedOut in 0.26.0, Cancelled in HEAD)
    [
      'timed_out',
      'Download failed to enqueue remotely after hard time limit of 180 secs',
      'queue_timeout',
    ],
    [
      'cancelled',
      'Download failed to enqueue remotely after hard time limit of 180 secs',
      'queue_timeout',
    ],
    // cancel
    ['cancelled', 'Operation cancelled', 'cancelled'],
    ['cancelled', 'The operation was canceled.', 'cancelled'],
    ['cancelled', undefined, 'cancelled'],
    // a cancellation text under a TimedOut state stays a timeout
    ['timed_out', 'The operation was canceled.', 'timeout'],
    // peer unreachable / offline
    ['errored', 'User bob appears to be offline', 'source_offline'],
    ['errored', 'Failed to establish a direct or indirect message connection', 'source_offline'],
    // restart
    ['errored', 'Application shut down', 'slskd_unavailable'],
    // not failures
    ['succeeded', undefined, 'unknown'],
    ['in_progress', undefined, 'unknown'],
  ];
  it.each(cases)('%s / %j → %s', (state, exception, code) => {
    const result = classifyTransferFailure(failed(state, exception));
    expect(result.code).toBe(code);
    expect(result.message.length).toBeGreaterThan(0);
    if (exception !== undefined && code !== 'unknown')
      expect(result.message).toContain(exception.replace(/^Transfer rejected: /, ''));
  });

  it('marks "Application shut down" as an slskd restart, and nothing else', () => {
    expect(classifyTransferFailure(failed('errored', 'Application shut down'))).toMatchObject({
      code: 'slskd_unavailable',
      isSlskdRestart: true,
    });
    expect(
      classifyTransferFailure(failed('errored', 'Remote connection closed')).isSlskdRestart,
    ).toBe(undefined);
  });
});

describe('classifyExceptionText', () => {
  const cases: Array<[string, string | null]> = [
    ['Error: User bob appears to be offline', 'source_offline'],
    ['Error: File not shared.', 'file_not_found'],
    ['Error: Banned', 'user_blocked'],
    ['Error: Too many megabytes', 'transfer_rejected'],
    ['Error: Failed to establish a direct or indirect transfer connection', 'source_offline'],
    ['', null],
    ['Error: ', null],
    ['Something unheard of', null],
  ];
  it.each(cases)('%j → %s', (text, code) => {
    expect(classifyExceptionText(text)?.code ?? null).toBe(code);
  });
});

describe('isFinalTransfer', () => {
  const cases: Array<[TransferState, string | undefined, number | undefined, boolean]> = [
    ['in_progress', undefined, 1, false],
    ['succeeded', undefined, 1, true],
    ['rejected', 'File not shared.', 1, true],
    ['cancelled', undefined, 1, true],
    ['aborted', undefined, 1, true],
    // §5.4: errors and timeouts flip back to Queued, Locally while attempts < 3 (0.26+)
    ['errored', 'Remote connection closed', 1, false],
    ['timed_out', 'Inactivity timeout of 15000 milliseconds was reached', 2, false],
    ['errored', 'Remote connection closed', 3, true],
    // pre-0.26: attempts is 0 or missing, failures are final
    ['errored', 'Remote connection closed', 0, true],
    ['errored', 'Remote connection closed', undefined, true],
    // a restart is never retried
    ['errored', 'Application shut down', 1, true],
    // nor is the enqueue's hard limit: it fails the record outside the download's retry loop
    ['timed_out', 'Download failed to enqueue remotely after hard time limit of 180 secs', 1, true],
  ];
  it.each(cases)('%s / %j / attempts %j → %s', (state, exception, attempts, expected) => {
    expect(isFinalTransfer(failed(state, exception, attempts))).toBe(expected);
  });
});
