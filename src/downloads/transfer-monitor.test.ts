import { describe, expect, it } from 'vitest';
import type { TransferStatus } from '../providers/provider.js';
import { endingWithin, predictedEnd } from './transfer-monitor.js';

const t = (
  id: string,
  state: TransferStatus['state'],
  bytes = 0,
  speed = 0,
  size = 1000,
): TransferStatus => ({
  id,
  username: 'u',
  filename: `${id}.flac`,
  size,
  state,
  raw: state,
  bytesTransferred: bytes,
  averageSpeed: speed,
  percentComplete: (bytes / size) * 100,
});

describe('predictedEnd', () => {
  const at = 10_000;
  it('is the soonest end among moving transfers, bytes left at their average speed', () => {
    const list = [t('a', 'in_progress', 500, 100), t('b', 'in_progress', 900, 100)];
    expect(predictedEnd(list, at, new Set(['a', 'b']))).toBe(at + 1000);
    expect(predictedEnd(list, at, new Set(['a']))).toBe(at + 5000);
  });
  it('is now for a transfer about to move, not listed yet, or without a speed yet', () => {
    expect(predictedEnd([t('a', 'initializing')], at, new Set(['a']))).toBe(at);
    expect(predictedEnd([t('a', 'in_progress', 10, 0)], at, new Set(['a']))).toBe(at);
    expect(predictedEnd([], at, new Set(['a']))).toBe(at);
  });
  it('is null while every followed transfer waits in a peer queue', () => {
    expect(predictedEnd([t('a', 'queued_remotely')], at, new Set(['a']))).toBeNull();
    expect(predictedEnd([t('a', 'in_progress', 1, 1)], at, new Set())).toBeNull();
  });
});

describe('endingWithin', () => {
  it('counts followed transfers ending within the horizon, finished ones and unlisted ones', () => {
    const list = [
      t('soon', 'in_progress', 900, 100),
      t('late', 'in_progress', 0, 1),
      t('queued', 'queued_remotely'),
      t('done', 'succeeded', 1000, 100),
      t('other', 'in_progress', 900, 100),
    ];
    const followed = new Set(['soon', 'late', 'queued', 'done', 'unlisted']);
    expect(endingWithin(list, 0, followed, 0, 2000)).toBe(3);
  });
});
