// What the search stores of an album track's ranking after following its siblings: the ranking's
// own order (a preference read now may be stale by the time the track picks; transfer.step.ts
// reorders then), the album's release noted, the releases found lacking moved to the rejected.
import { describe, expect, it } from 'vitest';
import type { Candidate } from '../providers/release.js';
import { followAlbumRelease, lackingReleases, type ReleaseAttempt } from './album-release.js';
import { ALBUM_RELEASE_NOTE, withAlbumFollowed, type StoredCandidates } from './search.step.js';

const release = (title: string, score: number) => ({
  candidate: {
    provider: 'qbittorrent',
    username: 'local',
    filename: title,
    size: 1,
    extension: 'flac',
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 0,
    release: {
      protocol: 'torrent',
      indexer: 'local',
      guid: title,
      title,
      link: 'http://indexer/x',
      size: 1,
      categories: [3040],
    },
  } satisfies Candidate,
  score,
  notes: ['ranked'],
});
const attempt = (title: string, state: string, error_code: string | null): ReleaseAttempt => ({
  provider: 'qbittorrent',
  username: 'local',
  filename: title,
  release: JSON.stringify(release(title, 0).candidate.release),
  state,
  error_code,
  created_at: 1,
});

describe('the stored ranking of an album track', () => {
  it('keeps the ranking order, notes the album release, drops what was found lacking', () => {
    const stored: StoredCandidates = {
      query: 'q',
      ranked: [release('Single', 90), release('Other', 80), release('Album', 70)],
      rejected: [],
    };
    const followed = followAlbumRelease(
      stored.ranked,
      [attempt('Album', 'enqueued', null)],
      lackingReleases([attempt('Other', 'failed', 'track_not_in_release')]),
    );
    const out = withAlbumFollowed(stored, followed);
    expect(out.ranked.map((r) => [r.candidate.filename, r.score, r.notes])).toEqual([
      ['Single', 90, ['ranked']],
      ['Album', 70, [ALBUM_RELEASE_NOTE, 'ranked']],
    ]);
    expect(out.rejected.map((r) => r.candidate.filename)).toEqual(['Other']);
    expect(out.rankedTotal).toBe(2);
    expect(out.rejectedTotal).toBe(1);
  });
});
