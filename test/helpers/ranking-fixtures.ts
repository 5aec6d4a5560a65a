import type { Candidate } from '../../src/providers/provider.js';
import { extensionOf } from '../../src/matching/quality-policy.js';
import type { PeerRecord, TrackTarget } from '../../src/matching/ranking.js';

/** Building blocks of the ranking table (ranking-cases.ts, ranking-cases-realistic.ts). */

export function cand(filename: string, overrides: Partial<Candidate> = {}): Candidate {
  return {
    provider: 'slskd',
    username: 'peer',
    filename,
    size: 30_000_000,
    extension: extensionOf(filename),
    lengthSeconds: 264,
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 1_000_000,
    ...overrides,
  };
}

export const karma: TrackTarget = {
  artist: 'Radiohead',
  title: 'Karma Police',
  album: 'OK Computer',
  durationSeconds: 264,
};
export const base = 'Music\\Radiohead\\OK Computer\\';

export interface DecoyCase {
  name: string;
  target?: TrackTarget;
  right: Candidate;
  decoys: { c: Candidate; reason?: RegExp }[];
  blocked?: string;
  records?: Record<string, PeerRecord>;
}
