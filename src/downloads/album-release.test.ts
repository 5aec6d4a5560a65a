import { describe, expect, it } from 'vitest';
import type { Candidate } from '../providers/release.js';
import {
  albumReleaseOrder,
  followAlbumRelease,
  lackingReleases,
  releaseKey,
  useOf,
  type ReleaseAttempt,
} from './album-release.js';

const ALBUM = 'Artist - Album (2024) [FLAC]';
const SINGLE = 'Artist - Album - Second Song [FLAC]';
const MP3 = 'Artist - Album (2024) [MP3 320]';

function release(
  title: string,
  indexer = 'local',
  provider = 'qbittorrent',
  guid = title,
): Candidate {
  return {
    provider,
    username: indexer,
    filename: title,
    size: 100,
    extension: 'flac',
    hasFreeUploadSlot: true,
    queueLength: 0,
    uploadSpeed: 0,
    release: {
      protocol: 'torrent',
      indexer,
      guid,
      title,
      link: `http://indexer/${encodeURIComponent(title)}`,
      size: 100,
      categories: [3040],
    },
  };
}

const slskdFile: Candidate = {
  provider: 'slskd',
  username: 'peer',
  filename: '@@music\\Artist\\Album\\02 - Second Song.flac',
  size: 100,
  extension: 'flac',
  hasFreeUploadSlot: true,
  queueLength: 0,
  uploadSpeed: 0,
};

const attempt = (
  title: string,
  state: string,
  at: number,
  error_code: string | null = null,
  username = 'local',
  guid = title,
): ReleaseAttempt => ({
  provider: 'qbittorrent',
  username,
  filename: title,
  // As transfer.step.ts stores it: the candidate's release.
  release: JSON.stringify(release(title, username, 'qbittorrent', guid).release),
  state,
  error_code,
  created_at: at,
});

const entry = (c: Candidate) => ({ candidate: c, score: 0, notes: [] as string[] });
const titles = (entries: readonly { candidate: Candidate }[]) =>
  entries.map((e) => e.candidate.filename);

describe('what a sibling attempt says of its release', () => {
  it.each([
    ['pending', null, 'uses'],
    ['enqueued', null, 'uses'],
    ['succeeded', null, 'uses'],
    ['failed', 'track_not_in_release', 'lacks'],
    ['failed', 'queue_timeout', 'none'],
    ['failed', 'file_not_found', 'none'],
    ['cancelled', 'cancelled', 'none'],
  ] as const)('%s (%s): %s', (state, code, use) => {
    expect(useOf({ state, error_code: code })).toBe(use);
  });
});

describe('the order of the album releases', () => {
  it.each([
    ['nothing picked yet', [], []],
    ['one sibling fetching', [attempt(ALBUM, 'enqueued', 1)], [ALBUM]],
    ['one done', [attempt(ALBUM, 'succeeded', 1)], [ALBUM]],
    ['a failed one is not followed', [attempt(ALBUM, 'failed', 1, 'queue_timeout')], []],
    [
      'one found lacking only is not followed',
      [attempt(SINGLE, 'failed', 1, 'track_not_in_release')],
      [],
    ],
    [
      'two picked at once, one each: the first pick decides',
      [attempt(MP3, 'enqueued', 2), attempt(ALBUM, 'pending', 1)],
      [ALBUM, MP3],
    ],
    [
      'more users first',
      [attempt(ALBUM, 'enqueued', 1), attempt(MP3, 'succeeded', 2), attempt(MP3, 'pending', 3)],
      [MP3, ALBUM],
    ],
    [
      'a release known partial after one that is not, whatever its users',
      [
        attempt(SINGLE, 'succeeded', 1),
        attempt(SINGLE, 'succeeded', 2),
        attempt(SINGLE, 'failed', 3, 'track_not_in_release'),
        attempt(ALBUM, 'enqueued', 4),
      ],
      [ALBUM, SINGLE],
    ],
  ] as const)('%s', (_, siblings, expected) => {
    expect(albumReleaseOrder(siblings)).toEqual(expected.map((t) => releaseKey(attempt(t, '', 0))));
  });

  it('the same title at another indexer is another release', () => {
    expect(
      albumReleaseOrder([attempt(ALBUM, 'enqueued', 1, null, 'other')]).includes(
        releaseKey(attempt(ALBUM, '', 0)),
      ),
    ).toBe(false);
  });
});

describe('a track follows its album’s release', () => {
  const ranked = [
    entry(release(SINGLE)),
    entry(slskdFile),
    entry(release(MP3)),
    entry(release(ALBUM)),
  ];

  it('puts the release its siblings use first, the rest as ranked', () => {
    const chosen = followAlbumRelease(ranked, [attempt(ALBUM, 'enqueued', 1)], new Set());
    expect(titles(chosen.ranked)).toEqual([ALBUM, SINGLE, slskdFile.filename, MP3]);
    expect(titles(chosen.preferred)).toEqual([ALBUM]);
    expect(chosen.dropped).toEqual([]);
  });

  it('leaves the ranking as it is without siblings, or when theirs is not acceptable here', () => {
    expect(followAlbumRelease(ranked, [], new Set()).ranked).toEqual(ranked);
    // The siblings' release was rejected for this track (a required condition, a block): it is
    // not in `ranked`, and nothing is forced in.
    const other = followAlbumRelease(
      ranked,
      [attempt('Artist - Album [WEB FLAC]', 'enqueued', 1)],
      new Set(),
    );
    expect(other.ranked).toEqual(ranked);
    expect(other.preferred).toEqual([]);
  });

  it('drops a release this track already found without it, and follows the next', () => {
    const own = [
      attempt(SINGLE, 'failed', 1, 'track_not_in_release'),
      attempt(MP3, 'failed', 2, 'queue_timeout'),
    ];
    const chosen = followAlbumRelease(
      ranked,
      [attempt(SINGLE, 'succeeded', 1), attempt(MP3, 'enqueued', 2)],
      lackingReleases(own),
    );
    expect(titles(chosen.dropped)).toEqual([SINGLE]);
    expect(titles(chosen.ranked)).toEqual([MP3, slskdFile.filename, ALBUM]);
  });

  it('never moves a Soulseek file, whatever its name', () => {
    const sameName = { ...slskdFile, provider: 'qbittorrent', username: 'local', filename: ALBUM };
    const chosen = followAlbumRelease(
      [entry(release(SINGLE)), entry(sameName)],
      [attempt(ALBUM, 'enqueued', 1)],
      new Set([releaseKey(attempt(ALBUM, '', 0))]),
    );
    expect(chosen.ranked.map((e) => e.candidate)).toEqual([release(SINGLE), sameName]);
  });

  it('prefers the album release only within the best quality tier of the ranking', () => {
    const mp3Album: Candidate = { ...release(MP3), extension: 'mp3', bitRate: 320 };
    const single = release(SINGLE);
    // The siblings took the MP3 album: a FLAC single ranked first is not passed over for it.
    const chosen = followAlbumRelease(
      [entry(single), entry(slskdFile), entry(mp3Album)],
      [attempt(MP3, 'enqueued', 1)],
      new Set(),
    );
    expect(titles(chosen.ranked)).toEqual([SINGLE, slskdFile.filename, MP3]);
    expect(chosen.preferred).toEqual([]);
    // The best tier is the ranking's without the releases dropped: with the FLAC single found
    // lacking, the MP3 album is the best there is and is followed.
    const after = followAlbumRelease(
      [entry(single), entry(mp3Album), entry({ ...slskdFile, extension: 'mp3', bitRate: 128 })],
      [attempt(MP3, 'enqueued', 1)],
      lackingReleases([attempt(SINGLE, 'failed', 1, 'track_not_in_release')]),
    );
    expect(titles(after.preferred)).toEqual([MP3]);
  });

  it('tells two releases of the same title apart by their guid', () => {
    const first = release(ALBUM, 'local', 'qbittorrent', 'guid-1');
    const reupload = release(ALBUM, 'local', 'qbittorrent', 'guid-2');
    // Marking one lacking keeps the other.
    const lacking = lackingReleases([
      attempt(ALBUM, 'failed', 1, 'track_not_in_release', 'local', 'guid-1'),
    ]);
    const chosen = followAlbumRelease([entry(first), entry(reupload)], [], lacking);
    expect(chosen.dropped.map((e) => e.candidate)).toEqual([first]);
    expect(chosen.ranked.map((e) => e.candidate)).toEqual([reupload]);
    // An impostor copying the title of the siblings' release, ranked above it, is not preferred.
    const impostor = release(ALBUM, 'local', 'qbittorrent', 'fake-guid');
    const followed = followAlbumRelease(
      [entry(release(SINGLE)), entry(impostor), entry(first)],
      [attempt(ALBUM, 'enqueued', 1, null, 'local', 'guid-1')],
      new Set(),
    );
    expect(followed.preferred.map((e) => e.candidate)).toEqual([first]);
    expect(followed.ranked.map((e) => e.candidate)).toEqual([first, release(SINGLE), impostor]);
  });

  it('tells torrents apart by info-hash, at any indexer', () => {
    const withHash = (guid: string, indexer: string, infohash: string): Candidate => {
      const c = release(ALBUM, indexer, 'qbittorrent', guid);
      return { ...c, release: { ...c.release!, infohash } };
    };
    const used = withHash('g1', 'local', 'a'.repeat(40));
    const sibling: ReleaseAttempt = {
      ...attempt(ALBUM, 'enqueued', 1),
      release: JSON.stringify(used.release),
    };
    const sameTorrentElsewhere = withHash('g9', 'other', 'a'.repeat(40));
    const impostor = withHash('g1', 'local', 'b'.repeat(40));
    const chosen = followAlbumRelease(
      [entry(impostor), entry(sameTorrentElsewhere)],
      [sibling],
      new Set(),
    );
    expect(chosen.preferred.map((e) => e.candidate)).toEqual([sameTorrentElsewhere]);
  });
});
