import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decoyCases, karma } from '../../test/helpers/ranking-cases.js';
import {
  referenceContainsPhrase,
  referenceRank,
  referenceRankWithProfile,
} from '../../test/helpers/ranking-reference.js';
import type { Candidate } from '../providers/release.js';
import { containsPhrase } from './normalize.js';
import { BUILT_IN_PROFILES, DEFAULT_RULES } from './quality-profile-builtins.js';
import type { ProfileRules } from './quality-profile.js';
import { rankWithProfile } from './quality-profile-ranking.js';
import { rankCandidates, type RankingOptions, type TrackTarget } from './ranking.js';

// The fast ranking (folders judged once per ranking, one pass per file name, only the kept
// rejections ordered) against the plain one in test/helpers/ranking-reference.ts: the same
// result, entry for entry and in the same order, for generated result sets. The generator leans
// on what the shortcuts could get wrong: shared folders under different share roots and drives,
// slashes and backslashes mixed, empty parts and trailing separators, version words in folders
// and file names and across their border, tags, twins (same peer and path), peer-reported junk,
// the request's own names around version words (the band Live, the album "Live Through This",
// a year before the band's name, a word made by taking a name out of a file name), two providers.

const roots = ['', '@@alice\\', '@@bob\\', 'C:\\', 'c:/', '\\', '@@\\', 'D:', '@@x/'];
const folderNames = [
  'Radiohead',
  'OK Computer',
  'Music',
  'Live at Wembley',
  'Radiohead - Live',
  'Karma Police Remix',
  // Taking the title out makes "re mix" here, which the whole path does not say.
  're Karma Police mix',
  '@@Radiohead',
  'E:',
  're',
  'Karma Police',
  'mix',
  'BBC',
  'Sessions',
  'Various Artists',
  'Radio Head',
  'The Radiohead',
  'Ok_Computer (1997)',
  'Sigur Rós',
  'Музыка',
  'レディオヘッド',
  '[1994] Live - Throwing Copper',
  'Live at the Paradiso',
  'Live',
  '1994 - Live Through This',
  'Live at Reading 1994',
  'Hole - Live Through This (Live)',
  '',
];
const stems = [
  '06 - Karma Police',
  'Radiohead - Karma Police',
  'Karma Police (Live)',
  'Karma Police Remix',
  'mix Karma Police',
  'Sessions - Karma Police',
  'karma_police',
  'KarmaPolice',
  'Karma Police (Acoustic Cover)',
  'Paranoid Android',
  "Karma Police feat. Someone's",
  '.hidden',
  '05 - Live - Lightning Crashes',
  'Lightning Crashes (Live)',
  're Lightning Crashes mix',
  '01 re Karma Police mix',
  '03 - Violet',
  'Hole - Violet (Live)',
  '',
];
const separators = ['\\', '/', '\\\\'];

const arbFilename = fc
  .record({
    root: fc.constantFrom(...roots),
    folders: fc.array(fc.constantFrom(...folderNames), { maxLength: 3 }),
    separator: fc.constantFrom(...separators),
    stem: fc.constantFrom(...stems),
    extension: fc.constantFrom('.flac', '.mp3', '.FLAC', '.jpg', '', '.'),
    trailing: fc.boolean(),
  })
  .map(
    ({ root, folders, separator, stem, extension, trailing }) =>
      root + [...folders, stem + extension].join(separator) + (trailing ? separator : ''),
  );

const junk = fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, undefined);
const arbCandidate: fc.Arbitrary<Candidate> = fc
  .record(
    {
      username: fc.constantFrom('ann', 'bob', 'cy', 'blocked', 'Ann'),
      filename: arbFilename,
      size: fc.oneof(fc.integer({ min: 1, max: 6e7 }), junk),
      bitRate: fc.oneof(fc.constantFrom(128, 192, 256, 320, 1411), junk),
      sampleRate: fc.oneof(fc.constantFrom(44_100, 96_000), junk),
      bitDepth: fc.oneof(fc.constantFrom(16, 24), junk),
      lengthSeconds: fc.oneof(fc.integer({ min: 255, max: 272 }), junk),
      hasFreeUploadSlot: fc.boolean(),
      queueLength: fc.oneof(fc.constantFrom(0, 3), junk),
      uploadSpeed: fc.oneof(fc.constantFrom(0, 500_000), junk),
      tags: fc.record(
        {
          title: fc.constantFrom(
            'Karma Police',
            'Karma Police (Live)',
            '',
            'Live - Lightning Crashes',
            're Violet mix',
          ),
          artist: fc.constantFrom('Radiohead', 'Other', 'Live', 'Hole'),
          albumArtist: fc.constantFrom('Radiohead', ''),
          album: fc.constantFrom(
            'OK Computer',
            'Live Remix Sessions',
            'Karma Police Remix',
            'Live Through This',
            'Live at Reading 1994',
          ),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: ['username', 'filename', 'size', 'hasFreeUploadSlot'] },
  )
  .chain((c) =>
    fc.constantFrom('slskd', 'other').map((provider) => ({ provider, ...c }) as Candidate),
  );

// Twins: the same candidate twice, and copies with one field changed, so ties are exercised.
const arbList = fc
  .array(arbCandidate, { maxLength: 14 })
  .chain((list) =>
    fc
      .array(fc.nat({ max: Math.max(0, list.length - 1) }), { maxLength: list.length > 0 ? 3 : 0 })
      .map((picks) => [...list, ...picks.map((i) => ({ ...list[i]! }))]),
  );

const targets: TrackTarget[] = [
  karma,
  { artist: 'Radiohead', title: 'Karma Police' },
  { artist: 'Radiohead', title: 'Karma Police (Live)', durationSeconds: 262 },
  { artist: 'Radiohead', title: 'Karma Police', album: 'Live at Wembley' },
  { artist: 'Radio Head & Friends', title: 'Karma Police [Remix]', album: 'OK Computer' },
  { artist: '', title: '', keywords: 'radiohead karma' },
  { artist: 'Sigur Rós', title: 'Karma Police', album: 'Музыка' },
  { artist: 'Live', title: 'Lightning Crashes', album: 'Throwing Copper' },
  { artist: 'Hole', title: 'Violet', album: 'Live Through This' },
  { artist: 'Hole', title: 'Violet', album: 'Live' },
  { artist: 'Live', title: 'Live', album: 'Live at the Paradiso' },
];
const profiles: ProfileRules[] = [
  DEFAULT_RULES,
  ...BUILT_IN_PROFILES,
  {
    ...DEFAULT_RULES,
    excludeKeywords: ['remix', 'Live'],
    excludeUsers: ['cy'],
    preferLossless: true,
  },
];

const options: RankingOptions = {
  isBlocked: (c) => c.username === 'blocked',
  peerRecord: (u, provider) =>
    u === 'bob' && provider === 'slskd' ? { successes: 3, failures: 1 } : undefined,
};

describe('the fast ranking ranks exactly as the plain one', () => {
  it('for generated result sets, every target and profile, all rejections or a few', () => {
    fc.assert(
      fc.property(
        arbList,
        fc.constantFrom(...targets),
        fc.constantFrom(...profiles),
        fc.option(fc.nat({ max: 6 }), { nil: undefined }),
        (list, target, rules, keep) => {
          const expected = referenceRankWithProfile(target, list, rules, options);
          const actual = rankWithProfile(target, list, rules, { ...options, keepRejected: keep });
          expect(actual.ranked).toEqual(expected.ranked);
          // Entry for entry, the same objects: toEqual alone would not tell twins apart.
          expect(actual.ranked.map((r) => r.candidate)).toStrictEqual(
            expected.ranked.map((r) => r.candidate),
          );
          const kept = expected.rejected.slice(0, keep ?? expected.rejected.length);
          expect(actual.rejected).toEqual(kept);
          actual.rejected.forEach((r, i) => expect(r.candidate).toBe(kept[i]!.candidate));
          expect(actual.rejectedTotal).toBe(expected.rejected.length);

          const plain = rankCandidates(target, list, options);
          const plainExpected = referenceRank(target, list, options);
          expect(plain).toEqual(plainExpected);
          plain.ranked.forEach((r, i) =>
            expect(r.candidate).toBe(plainExpected.ranked[i]!.candidate),
          );
          plain.rejected.forEach((r, i) =>
            expect(r.candidate).toBe(plainExpected.rejected[i]!.candidate),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('on the decoy table too', () => {
    for (const { target, right, decoys, blocked, records } of decoyCases) {
      const all = [...decoys.map((d) => d.c), right];
      const opts: RankingOptions = {
        isBlocked: (c) => c.username === blocked,
        peerRecord: (username) => records?.[username],
      };
      expect(rankCandidates(target ?? karma, all, opts)).toEqual(
        referenceRank(target ?? karma, all, opts),
      );
    }
  });

  it('containsPhrase answers as the padded includes and the joined-words rule', () => {
    const word = fc.constantFrom('ac', 'dc', 'acdc', 'daft', 'punk', 'a', 'ha', 'i', 'am', '');
    const text = fc.array(word, { maxLength: 6 }).map((words) => words.join(' '));
    fc.assert(
      fc.property(text, text, (haystack, needle) => {
        expect(containsPhrase(haystack, needle)).toBe(referenceContainsPhrase(haystack, needle));
      }),
      { numRuns: 5000 },
    );
  });
});
