import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base, cand, decoyCases, karma } from '../../test/helpers/ranking-cases.js';
import type { Candidate } from '../providers/provider.js';
import { BUILT_IN_PROFILES, DEFAULT_RULES } from './quality-profile-builtins.js';
import {
  policyFor,
  PREFERENCE_WEIGHT,
  rankWithProfile,
  type ProfileRankingResult,
} from './quality-profile-ranking.js';
import { DEFAULT_QUALITY_POLICY, extensionOf } from './quality-policy.js';
import { rankCandidates, type RankingOptions, type RankingResult } from './ranking.js';

const profile = (name: string) => BUILT_IN_PROFILES.find((p) => p.name === name)!;
const any = profile('Any');

/** The ranking result without the profile's own bookkeeping, to compare with rankCandidates. */
function plain(result: ProfileRankingResult): RankingResult {
  return {
    ranked: result.ranked.map(({ profileParts: _, ...rest }) => rest),
    rejected: result.rejected,
    rejectedTotal: result.rejectedTotal,
  };
}

describe('the default profile ranks exactly as the default policy', () => {
  it('Any is the default', () => expect(any.isDefault).toBe(true));

  it.each(decoyCases)('$name', ({ target, right, decoys, blocked, records }) => {
    const all = [...decoys.map((d) => d.c), right];
    const options: RankingOptions = {
      isBlocked: (c) => c.username === blocked,
      peerRecord: (username) => records?.[username],
    };
    const expected = rankCandidates(target ?? karma, all, options);
    const result = rankWithProfile(target ?? karma, all, any, options);
    expect(plain(result)).toEqual(expected);
    for (const entry of result.ranked) expect(entry.profileParts).toEqual([]);
  });

  it('on generated result sets too', () => {
    const arbCandidate: fc.Arbitrary<Candidate> = fc
      .record({
        folder: fc.constantFrom('Radiohead\\OK Computer', 'Radiohead\\Live', 'Other', ''),
        stem: fc.constantFrom('06 - Karma Police', 'Karma Police (Remix)', 'Fitter Happier'),
        extension: fc.constantFrom('flac', 'mp3', 'm4a', 'opus', 'wav', 'txt', ''),
        username: fc.constantFrom('ann', 'bob', 'cy'),
        size: fc.oneof(fc.integer({ min: 0, max: 1e8 }), fc.constant(Number.NaN)),
        bitRate: fc.option(fc.constantFrom(64, 128, 192, 256, 320, 1411, Number.NaN), {
          nil: undefined,
        }),
        sampleRate: fc.option(fc.constantFrom(22_050, 44_100, 96_000), { nil: undefined }),
        bitDepth: fc.option(fc.constantFrom(8, 16, 24), { nil: undefined }),
        lengthSeconds: fc.option(fc.integer({ min: 250, max: 280 }), { nil: undefined }),
        hasFreeUploadSlot: fc.boolean(),
        queueLength: fc.constantFrom(0, 3, 50),
        uploadSpeed: fc.constantFrom(0, 50_000, 1_000_000),
      })
      .map(({ folder, stem, extension, ...rest }) => {
        const name = stem + (extension ? `.${extension}` : '');
        const filename = [folder, name].filter(Boolean).join('\\');
        return { provider: 'slskd', filename, extension: extensionOf(filename), ...rest };
      });
    fc.assert(
      fc.property(fc.array(arbCandidate, { maxLength: 10 }), (list) => {
        expect(plain(rankWithProfile(karma, list, any))).toEqual(rankCandidates(karma, list));
      }),
      { numRuns: 500 },
    );
  });

  it('maps to the default policy', () => {
    expect(policyFor(any)).toEqual(DEFAULT_QUALITY_POLICY);
    expect(policyFor(DEFAULT_RULES)).toEqual(DEFAULT_QUALITY_POLICY);
  });
});

describe('ranking under a profile', () => {
  const flac = cand(`${base}06 - Karma Police.flac`, { username: 'lossless' });
  const mp3_320 = cand(`${base}06 - Karma Police.mp3`, {
    username: 'mp3-320',
    bitRate: 320,
    size: 10_000_000,
  });
  const mp3_192 = cand(`${base}06 - Karma Police.mp3`, {
    username: 'mp3-192',
    bitRate: 192,
    size: 6_000_000,
  });
  const users = (result: ProfileRankingResult) => result.ranked.map((r) => r.candidate.username);
  const reasons = (result: ProfileRankingResult) =>
    Object.fromEntries(result.rejected.map((r) => [r.candidate.username, r.reason]));

  it('Audiophile rejects lossy files with the reason', () => {
    const result = rankWithProfile(karma, [mp3_320, flac, mp3_192], profile('Audiophile'));
    expect(users(result)).toEqual(['lossless']);
    expect(reasons(result)['mp3-320']).toBe(
      'format mp3 not in flac, alac, ape, wv, aiff, aif, wav; lossy (mp3)',
    );
  });

  it('Balanced keeps FLAC and 320, rejects 192', () => {
    const result = rankWithProfile(karma, [mp3_192, mp3_320, flac], profile('Balanced'));
    expect(users(result)).toEqual(['lossless', 'mp3-320']);
    expect(reasons(result)).toEqual({ 'mp3-192': 'bitrate 192 kbps, below 256' });
    // Its preferences are noted on the file that misses them.
    expect(result.ranked[1]?.notes).toContain('lossy (mp3)');
  });

  it('Space Saver puts a small MP3 above a big one, and refuses FLAC', () => {
    const big = cand(`${base}06 - Karma Police.mp3`, {
      username: 'big',
      bitRate: 320,
      size: 20_000_000,
    });
    const result = rankWithProfile(karma, [big, flac, mp3_192], profile('Space Saver'));
    expect(users(result)).toEqual(['mp3-192', 'big']);
    expect(reasons(result)['lossless']).toMatch(/^format flac not in mp3, m4a, aac, ogg/);
  });

  it('a preference outweighs the whole tier range; a requirement rejects', () => {
    const rules = { ...DEFAULT_RULES, maxFileSizeMb: 15, required: [] };
    const result = rankWithProfile(karma, [flac, mp3_192], rules);
    expect(users(result)).toEqual(['mp3-192', 'lossless']);
    const [first, second] = result.ranked;
    expect(first!.score - second!.score).toBeGreaterThan(0);
    expect(second?.profileParts).toEqual([
      { condition: 'fileSize', points: -1, reason: 'size 30 MB, above 15 MB' },
    ]);
    expect(rankCandidates(karma, [flac]).ranked[0]!.score - second!.score).toBe(PREFERENCE_WEIGHT);

    const strict = rankWithProfile(karma, [flac, mp3_192], { ...rules, required: ['fileSize'] });
    expect(users(strict)).toEqual(['mp3-192']);
    expect(reasons(strict)).toEqual({ lossless: 'size 30 MB, above 15 MB' });
  });

  it('a preferred duration ranks a wrong length last instead of rejecting it', () => {
    const long = cand(`${base}06 - Karma Police.flac`, { username: 'long', lengthSeconds: 300 });
    const rules = { ...DEFAULT_RULES, required: [] };
    const result = rankWithProfile(karma, [long, mp3_192], rules);
    expect(users(result)).toEqual(['mp3-192', 'long']);
    expect(result.ranked[1]?.notes).toContain('duration 300 s, expected 264 s ± 5');
  });

  it('the ranking rules come first: a remix keeps the ranking reason', () => {
    const remix = cand(`${base}06 - Karma Police (Remix).mp3`, { username: 'r', bitRate: 96 });
    const result = rankWithProfile(karma, [remix], profile('Balanced'));
    expect(reasons(result)).toEqual({ r: 'remix, not requested' });
  });

  it('does not depend on the input order', () => {
    const list = [mp3_192, flac, mp3_320, cand(`${base}06 - Karma Police.ogg`, { bitRate: 256 })];
    for (const rules of BUILT_IN_PROFILES) {
      const once = rankWithProfile(karma, list, rules);
      expect(rankWithProfile(karma, [...list].reverse(), rules)).toEqual(once);
    }
  });
});
