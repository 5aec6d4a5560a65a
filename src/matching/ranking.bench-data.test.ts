import { describe, expect, it } from 'vitest';
import { rankingResults } from '../../bench/ranking-results.js';
import { referenceRankWithProfile } from '../../test/helpers/ranking-reference.js';
import type { Candidate } from '../providers/release.js';
import { BUILT_IN_PROFILES, DEFAULT_RULES } from './quality-profile-builtins.js';
import { rankWithProfile } from './quality-profile-ranking.js';
import type { RankingOptions } from './ranking.js';

// The benchmark's 25,000 results (bench/library.bench.ts), ranked by the fast ranking and by the
// plain reference: the same ranked list and the same first rejections, entry for entry, under the
// default rules and a profile that rejects and prefers. What the shortcuts are measured on is
// also what they are held to.
const results = JSON.parse(JSON.stringify(rankingResults())) as Candidate[];
const target = {
  artist: 'Radiohead',
  title: 'Karma Police',
  album: 'OK Computer',
  durationSeconds: 264,
};
const options: RankingOptions = {
  isBlocked: (c) => c.username === 'peer13',
  peerRecord: (u) => (u.endsWith('7') ? { successes: 3, failures: 1 } : undefined),
};

describe("the benchmark's result set", () => {
  for (const rules of [DEFAULT_RULES, BUILT_IN_PROFILES.find((p) => p.name === 'Balanced')!]) {
    it(`ranks as the reference does (${rules === DEFAULT_RULES ? 'default rules' : 'Balanced'})`, () => {
      const expected = referenceRankWithProfile(target, results, rules, options);
      const kept = rankWithProfile(target, results, rules, { ...options, keepRejected: 200 });
      expect(kept.ranked).toEqual(expected.ranked);
      kept.ranked.forEach((r, i) => expect(r.candidate).toBe(expected.ranked[i]!.candidate));
      expect(kept.rejected).toEqual(expected.rejected.slice(0, 200));
      kept.rejected.forEach((r, i) => expect(r.candidate).toBe(expected.rejected[i]!.candidate));
      expect(kept.rejectedTotal).toBe(expected.rejected.length);
      const all = rankWithProfile(target, results, rules, options);
      expect(all.rejected).toEqual(expected.rejected);
      all.rejected.forEach((r, i) => expect(r.candidate).toBe(expected.rejected[i]!.candidate));
      expect(expected.ranked.length).toBeGreaterThan(1000);
    });
  }
});
