import { describe, expect, it } from 'vitest';
import type { Candidate } from '../providers/provider.js';
import { BUILT_IN_IDS, BUILT_IN_PROFILES } from '../matching/quality-profile-builtins.js';
import { rankCandidates } from '../matching/ranking.js';
import { toCandidatesDto } from './candidates.dto.js';
import { noResultsMessage, rankSnapshot, type ProfileSource } from './search.step.js';

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

describe('noResultsMessage under a profile', () => {
  it("groups a profile's rejections by the conditions they failed and names the profile", () => {
    const message = noResultsMessage(['Artist Song'], {
      query: 'Artist Song',
      profile: { id: BUILT_IN_IDS.audiophile, name: 'Audiophile' },
      ranked: [],
      rejected: [
        {
          candidate: candidate('a.mp3'),
          reason: 'format mp3 not in flac; lossy (mp3)',
          conditions: ['format', 'lossless'],
        },
        {
          candidate: candidate('b.ogg'),
          reason: 'format ogg not in flac; lossy (ogg)',
          conditions: ['format', 'lossless'],
        },
        { candidate: candidate('c'), reason: 'remix, not requested' },
      ],
      rejectedTotal: 3,
    });
    expect(message).toBe(
      'No usable file found for: Artist Song; 3 found for "Artist Song", all rejected (2× format+lossless, 1× remix, not requested) by the quality profile "Audiophile"',
    );
  });
});

const row = {
  artist: 'Aurora Fields',
  title: 'Morning Glass',
  album: null,
  duration_seconds: 200,
  quality_profile_id: BUILT_IN_IDS.audiophile,
};
const file = (username: string, filename: string, extra: Partial<Candidate> = {}): Candidate => ({
  ...candidate(filename),
  username,
  size: 5_000_000,
  extension: filename.split('.').pop() as string,
  lengthSeconds: 200,
  ...extra,
});
const found = [
  file('mp3', '@@m\\Aurora Fields\\01 - Morning Glass.mp3', { bitRate: 320 }),
  file('flac', '@@f\\Aurora Fields\\01 - Morning Glass.flac', { sampleRate: 44_100, bitDepth: 16 }),
];

describe('rankSnapshot', () => {
  it('ranks with the profile the download names and keeps every reason', async () => {
    const asked: (string | null)[] = [];
    const profiles: ProfileSource = {
      rankingProfile: (id) => {
        asked.push(id);
        const p = BUILT_IN_PROFILES.find((b) => b.id === id)!;
        return Promise.resolve({ id: p.id, name: p.name, rules: p });
      },
    };
    const stored = await rankSnapshot(row, 'q', found, undefined, profiles);
    expect(asked).toEqual([BUILT_IN_IDS.audiophile]);
    expect(stored.profile).toEqual({ id: BUILT_IN_IDS.audiophile, name: 'Audiophile' });
    expect(stored.ranked.map((r) => r.candidate.username)).toEqual(['flac']);
    expect(stored.ranked[0]?.profileParts).toEqual([]);
    expect(stored.rejected).toHaveLength(1);
    expect(stored.rejected[0]?.conditions).toEqual(['format', 'lossless']);
    expect([stored.rankedTotal, stored.rejectedTotal]).toEqual([1, 1]);
    // As the API shows it: ranks from 1, the failed conditions, the file's facts.
    const dto = toCandidatesDto({ id: 'd', candidates: JSON.stringify(stored) });
    expect(dto.ranked[0]).toMatchObject({ rank: 1, username: 'flac', sampleRate: 44_100 });
    expect(dto.rejected[0]).toMatchObject({
      username: 'mp3',
      bitRate: 320,
      conditions: ['format', 'lossless'],
    });
  });

  it('without a profile source ranks exactly as the bare ranking', async () => {
    const stored = await rankSnapshot(row, 'q', found, undefined, undefined);
    const bare = rankCandidates(
      { artist: row.artist, title: row.title, album: null, durationSeconds: 200 },
      found,
    );
    expect(stored.ranked.map(({ profileParts: _, ...r }) => r)).toEqual(bare.ranked);
    expect(stored.rejected).toEqual(bare.rejected);
    expect(stored.profile).toBeUndefined();
  });

  it('reads candidates stored before profiles with empty breakdowns', () => {
    const old = JSON.stringify({
      query: 'q',
      ranked: [{ candidate: found[1], score: 7000, notes: ['flac'] }],
      rejected: [{ candidate: found[0], reason: 'blocked source' }],
    });
    const dto = toCandidatesDto({ id: 'd', candidates: old });
    expect(dto).toMatchObject({ profile: null, rankedTotal: 1, rejectedTotal: 1 });
    expect(dto.ranked[0]?.profileParts).toEqual([]);
    expect(dto.rejected[0]?.conditions).toEqual([]);
  });
});
