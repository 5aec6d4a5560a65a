import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../providers/provider.js';
import { DEFAULT_QUALITY_POLICY, extensionOf, qualityTier } from './quality-policy.js';
import { rankCandidates, type PeerRecord, type TrackTarget } from './ranking.js';

// Properties of rankCandidates over generated result lists (the decoy table is in ranking.test.ts).

const karma: TrackTarget = {
  artist: 'Radiohead',
  title: 'Karma Police',
  album: 'OK Computer',
  durationSeconds: 264,
};

// Biased towards plausible results, so most runs rank several candidates against each other.
const folderPaths = [
  'Radiohead\\OK Computer',
  'Music\\Radiohead',
  '@@share\\Radiohead\\1997 - OK Computer',
  'Radiohead\\Live at Wembley',
  'Other Band',
  '',
];
const stems = [
  '06 - Karma Police',
  'Radiohead - Karma Police',
  'Karma Police',
  'Karma Police (Remix)',
  'Karma Police Live',
  'Fitter Happier',
  'karma_police',
];
const arbCandidate: fc.Arbitrary<Candidate> = fc
  .record({
    folder: fc.constantFrom(...folderPaths),
    stem: fc.constantFrom(...stems),
    extension: fc.constantFrom(
      'flac',
      'mp3',
      'm4a',
      'opus',
      'wav',
      'FLAC',
      'mp3',
      'txt',
      'jpg',
      '',
    ),
    username: fc.constantFrom('ann', 'bob', 'cy', 'dee', 'eve', 'blocked'),
    size: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 1e8 }), weight: 9 }, fc.constant(0)),
    bitRate: fc.option(fc.constantFrom(96, 128, 192, 256, 320, 1411), { nil: undefined }),
    lengthSeconds: fc.option(
      fc.oneof(
        { arbitrary: fc.integer({ min: 258, max: 270 }), weight: 4 },
        fc.integer({ min: 1, max: 600 }),
      ),
      { nil: undefined },
    ),
    hasFreeUploadSlot: fc.boolean(),
    // Peers report junk now and then; NaN must not make the order arbitrary.
    // Few distinct values, so equal scores (and the tie-break) come up often.
    queueLength: fc.oneof(
      fc.constantFrom(0, 5),
      fc.integer({ min: 0, max: 500 }),
      fc.constantFrom(NaN, -1),
    ),
    uploadSpeed: fc.oneof(
      fc.constantFrom(0, 1_000_000),
      fc.integer({ min: 0, max: 1e8 }),
      fc.constantFrom(NaN, Infinity),
    ),
  })
  .map(({ folder, stem, extension, ...rest }) => {
    const filename = [folder, stem + (extension ? `.${extension}` : '')].filter(Boolean).join('\\');
    return { provider: 'slskd', filename, extension: extensionOf(filename), ...rest };
  });

const options = {
  isBlocked: (c: Candidate) => c.username === 'blocked',
  peerRecord: (u: string): PeerRecord | undefined =>
    u === 'bob' ? { successes: 1, failures: 4 } : undefined,
};

describe('rankCandidates: properties', () => {
  it('accepts only audio, partitions the input, and does not depend on input order', () => {
    let contested = 0;
    fc.assert(
      fc.property(
        fc
          .array(arbCandidate, { maxLength: 12 })
          .chain((list) =>
            fc.tuple(
              fc.constant(list),
              fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }),
            ),
          ),
        ([list, shuffled]) => {
          const result = rankCandidates(karma, list, options);
          if (result.ranked.length >= 2) contested++;
          for (const { candidate } of result.ranked) {
            expect(DEFAULT_QUALITY_POLICY.allowedExtensions).toContain(
              extensionOf(candidate.filename),
            );
          }
          const seen = [
            ...result.ranked.map((r) => r.candidate),
            ...result.rejected.map((r) => r.candidate),
          ];
          expect(seen).toHaveLength(list.length);
          expect(new Set(seen)).toEqual(new Set(list));
          const again = rankCandidates(karma, shuffled, options);
          expect(again).toEqual(result);
        },
      ),
      { numRuns: 1000 },
    );
    // The property means little unless candidates often compete; the generator is biased for that.
    expect(contested).toBeGreaterThan(100);
  });

  it('orders by quality tier first, and by score within it', () => {
    let contested = 0;
    fc.assert(
      fc.property(fc.array(arbCandidate, { minLength: 2, maxLength: 12 }), (list) => {
        const { ranked } = rankCandidates(karma, list, options);
        if (ranked.length >= 2) contested++;
        for (let i = 1; i < ranked.length; i++) {
          const [prev, next] = [ranked[i - 1]!, ranked[i]!];
          const tier = (c: Candidate) => qualityTier(c, extensionOf(c.filename)).tier;
          expect(tier(prev.candidate)).toBeGreaterThanOrEqual(tier(next.candidate));
          expect(prev.score).toBeGreaterThanOrEqual(next.score);
        }
      }),
      { numRuns: 1000 },
    );
    expect(contested).toBeGreaterThan(100);
  });
});
