import { describe, expect, it } from 'vitest';
import {
  DOWNLOAD_STATUSES,
  IllegalTransitionError,
  canTransition,
  dedupeKey,
  transition,
  type DownloadEvent,
  type DownloadStatus,
} from './download.js';

describe('download state machine', () => {
  const legal: Array<[DownloadStatus, DownloadEvent, DownloadStatus]> = [
    ['waiting', 'search', 'searching'],
    ['searching', 'enqueue', 'queued'],
    ['queued', 'start_transfer', 'downloading'],
    ['queued', 'transfer_done', 'processing'],
    ['downloading', 'transfer_done', 'processing'],
    ['downloading', 'enqueue', 'queued'],
    ['processing', 'file', 'completed'],
    ['processing', 'enqueue', 'queued'],
    ['searching', 'wait', 'waiting'],
    ['downloading', 'wait', 'waiting'],
    ['queued', 'fail', 'failed'],
    ['downloading', 'cancel', 'cancelled'],
    ['failed', 'retry', 'waiting'],
    ['cancelled', 'retry', 'waiting'],
    ['cancelled', 'filed_after_cancel', 'completed'],
  ];
  it.each(legal)('%s --%s--> %s', (from, event, to) => {
    expect(transition(from, event)).toBe(to);
  });

  const illegal: Array<[DownloadStatus, DownloadEvent]> = [
    ['completed', 'start_transfer'],
    ['completed', 'retry'],
    ['completed', 'cancel'],
    ['failed', 'enqueue'],
    ['cancelled', 'file'],
    ['waiting', 'file'],
    ['searching', 'transfer_done'],
    ['queued', 'retry'],
    ['processing', 'filed_after_cancel'],
    ['failed', 'filed_after_cancel'],
  ];
  it.each(illegal)('%s rejects %s', (from, event) => {
    expect(() => transition(from, event)).toThrow(IllegalTransitionError);
    expect(canTransition(from, event)).toBe(false);
  });

  it('lets nothing leave completed, and every active status can be cancelled or failed', () => {
    for (const s of DOWNLOAD_STATUSES) {
      const active = !['completed', 'failed', 'cancelled'].includes(s);
      expect(canTransition(s, 'cancel')).toBe(active);
      expect(canTransition(s, 'fail')).toBe(active);
    }
  });
});

describe('dedupeKey', () => {
  it.each([
    [
      { artist: 'Beyoncé', title: 'Halo' },
      { artist: 'beyonce', title: 'HALO' },
    ],
    [
      { artist: 'AC/DC', title: 'T.N.T.' },
      { artist: 'ac dc', title: 't n t' },
    ],
    [
      { artist: ' A ', title: 'Song', album: 'X' },
      { artist: 'a', title: 'song', album: 'x' },
    ],
  ])('treats %j and %j as the same track', (a, b) => {
    expect(dedupeKey(a)).toBe(dedupeKey(b));
  });
  it('keeps the same song on different albums apart', () => {
    expect(dedupeKey({ artist: 'A', title: 'S', album: 'One' })).not.toBe(
      dedupeKey({ artist: 'A', title: 'S', album: 'Two' }),
    );
  });
});
