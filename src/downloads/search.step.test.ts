import { describe, expect, it } from 'vitest';
import type { Candidate } from '../providers/provider.js';
import { noResultsMessage } from './search.step.js';

const candidate = (filename: string): Candidate => ({
  provider: 'slskd',
  username: 'u',
  filename,
  size: 1,
  extension: 'flac',
  hasFreeUploadSlot: true,
  queueLength: 0,
  uploadSpeed: 1,
});

describe('noResultsMessage', () => {
  it('says plainly when nothing was found', () => {
    expect(noResultsMessage(['a b', 'b'], null)).toBe('No usable file found for: a b | b');
  });

  it('sums up why every file found was turned down, most common first', () => {
    const message = noResultsMessage(['Artist Song'], {
      query: 'Artist Song',
      ranked: [],
      rejected: [
        { candidate: candidate('a'), reason: 'blocked source' },
        { candidate: candidate('b'), reason: 'duration 412 s, expected 200 s ± 5' },
        { candidate: candidate('c'), reason: 'blocked source' },
        { candidate: candidate('d'), reason: 'remix, not requested' },
      ],
    });
    expect(message).toBe(
      'No usable file found for: Artist Song; 4 found for "Artist Song", all rejected (2× blocked source, 1× duration, 1× remix, not requested)',
    );
  });
});
