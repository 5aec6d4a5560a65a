import { describe, expect, it } from 'vitest';
import { cand, karma } from '../../test/helpers/ranking-fixtures.js';
import type { Candidate, IndexerRelease } from '../providers/release.js';
import { rankWithProfile } from './quality-profile-ranking.js';
import { BUILT_IN_PROFILES } from './quality-profile-builtins.js';
import { rankCandidates, type TrackTarget } from './ranking.js';
import { parseReleaseTitle } from './release-title.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 0, 1);

/** An indexer-found release as the Torznab provider makes it a candidate. */
function rel(
  title: string,
  over: Partial<IndexerRelease> = {},
  c: Partial<Candidate> = {},
): Candidate {
  const release: IndexerRelease = {
    protocol: 'torrent',
    indexer: 'tracker',
    guid: `guid-${title}`,
    title,
    link: `http://127.0.0.1/dl/${encodeURIComponent(title)}.torrent`,
    size: 400_000_000,
    seeders: 10,
    publishedAt: NOW - 30 * DAY,
    categories: [3000],
    ...over,
  };
  const audio = parseReleaseTitle(title);
  return {
    provider: release.protocol === 'torrent' ? 'qbittorrent' : 'sabnzbd',
    username: release.indexer,
    filename: title,
    size: release.size,
    extension: audio.extension ?? '',
    ...(audio.bitRate !== undefined ? { bitRate: audio.bitRate } : {}),
    ...(audio.bitDepth !== undefined ? { bitDepth: audio.bitDepth } : {}),
    ...(audio.sampleRate !== undefined ? { sampleRate: audio.sampleRate } : {}),
    hasFreeUploadSlot: release.protocol === 'usenet' || (release.seeders ?? 0) > 0,
    queueLength: 0,
    uploadSpeed: 0,
    release,
    ...c,
  };
}

interface ReleaseCase {
  name: string;
  target?: TrackTarget;
  right: Candidate;
  decoys: { c: Candidate; reason?: RegExp }[];
}

const CASES: ReleaseCase[] = [
  {
    name: 'the album wins over a wrong artist with the same album name',
    right: rel('Radiohead - OK Computer (1997) [FLAC]'),
    decoys: [
      {
        c: rel('Coldplay - OK Computer [FLAC 24bit-96kHz]'),
        reason: /^artist not in release title$/,
      },
    ],
  },
  {
    name: 'a remix EP is rejected though it names the track',
    right: rel('Radiohead - OK Computer [MP3 320]'),
    decoys: [
      { c: rel('Radiohead - Karma Police (Remixes) [FLAC]'), reason: /^remix, not requested$/ },
      { c: rel('Radiohead - Karma Police Remix EP 2020 FLAC'), reason: /^remix, not requested$/ },
    ],
  },
  {
    name: 'karaoke and tribute releases are rejected',
    right: rel('Radiohead - OK Computer (1997) [MP3 V0]'),
    decoys: [
      {
        c: rel('Karaoke Hits - In the Style of Radiohead - OK Computer [FLAC]'),
        reason: /^karaoke/,
      },
      { c: rel('A Tribute to Radiohead - OK Computer [FLAC]'), reason: /^tribute, not requested$/ },
      {
        c: rel('Rockabye Baby! Lullaby Renditions of Radiohead [FLAC]'),
        reason: /tribute|album or title/,
      },
    ],
  },
  {
    name: 'a live release loses unless asked',
    right: rel('Radiohead - OK Computer [AAC 256]'),
    decoys: [
      {
        c: rel('Radiohead - OK Computer Live at Glastonbury 1997 [FLAC]'),
        reason: /^live, not requested$/,
      },
    ],
  },
  {
    name: 'the single is accepted by its title; another album is not',
    right: rel('Radiohead - Karma Police (CD Single, 1997) [FLAC]'),
    decoys: [
      {
        c: rel('Radiohead - The Bends (1995) [FLAC]'),
        reason: /^album or title not in release title$/,
      },
    ],
  },
  {
    name: 'lossless beats more seeders in MP3',
    right: rel('Radiohead - OK Computer [FLAC]', { seeders: 2 }),
    decoys: [{ c: rel('Radiohead - OK Computer [MP3 320]', { seeders: 900 }) }],
  },
  {
    name: 'within one format, more seeders win',
    right: rel('Radiohead - OK Computer (1997) WEB FLAC', { seeders: 80, guid: 'a' }),
    decoys: [{ c: rel('Radiohead - OK Computer (Remaster) FLAC', { seeders: 3, guid: 'b' }) }],
  },
  {
    name: 'a dead torrent loses to a seeded one of the same quality',
    right: rel('Radiohead - OK Computer FLAC', { seeders: 1 }),
    decoys: [{ c: rel('Radiohead - OK Computer [FLAC]', { seeders: 0 }) }],
  },
  {
    name: 'within one format on Usenet, the younger post wins',
    right: rel('Radiohead - OK Computer [FLAC]', {
      protocol: 'usenet',
      publishedAt: NOW - 10 * DAY,
    }),
    decoys: [
      {
        c: rel('Radiohead-OK_Computer-FLAC-1997', {
          protocol: 'usenet',
          publishedAt: NOW - 2000 * DAY,
        }),
      },
    ],
  },
  {
    name: 'a requested live track wants a live release',
    target: { ...karma, title: 'Karma Police (Live)', album: null },
    right: rel('Radiohead - Karma Police Live at Glastonbury [FLAC]'),
    decoys: [
      { c: rel('Radiohead - Karma Police [FLAC]'), reason: /^not the requested live version$/ },
    ],
  },
  {
    name: 'an album that is live by name allows its live release',
    target: { artist: 'Queen', title: 'Bohemian Rhapsody', album: 'Live at Wembley 86' },
    right: rel('Queen - Live at Wembley 86 (1992) [FLAC]'),
    decoys: [
      {
        c: rel('Queen - A Night at the Opera [FLAC]'),
        reason: /^album or title not in release title$/,
      },
    ],
  },
];

describe('ranking indexer releases by their titles', () => {
  it.each(CASES)('$name', ({ target, right, decoys }) => {
    const all = [...decoys.map((d) => d.c), right];
    const result = rankCandidates(target ?? karma, all, { now: NOW });
    expect(result.ranked[0]?.candidate).toBe(right);
    for (const decoy of decoys) {
      if (!decoy.reason) continue;
      const rejection = result.rejected.find((r) => r.candidate === decoy.c);
      expect(rejection?.reason).toMatch(decoy.reason);
    }
  });

  it('notes a release its seeders and age', () => {
    const [top] = rankCandidates(karma, [rel('Radiohead - OK Computer [FLAC 24bit-96kHz]')], {
      now: NOW,
    }).ranked;
    expect(top?.notes).toEqual([
      'flac 24/96',
      'free slot',
      '10 seeders',
      '30 d old',
      'album matches',
    ]);
  });

  it('judges a title without a format word as unknown, below a named format', () => {
    const plain = rel('Radiohead - OK Computer (1997)');
    const mp3 = rel('Radiohead - OK Computer (1997) [MP3 320]');
    const result = rankCandidates(karma, [plain, mp3]);
    expect(result.ranked.map((r) => r.candidate)).toEqual([mp3, plain]);
    expect(result.ranked[1]?.notes[0]).toBe('format unknown');
  });

  it('rejects a release of unknown size and a non-audio format', () => {
    const noSize = rel('Radiohead - OK Computer [FLAC]', { size: 0 }, { size: 0 });
    const video = rel('Radiohead - OK Computer [FLAC]', {}, { extension: 'mkv' });
    const result = rankCandidates(karma, [noSize, video]);
    expect(result.ranked).toEqual([]);
    expect(result.rejected.map((r) => r.reason).sort()).toEqual([
      'not an audio file (.mkv)',
      'release size unknown',
    ]);
  });

  it('is independent of input order, and ages count from the newest release by default', () => {
    const a = rel('Radiohead - OK Computer FLAC', { publishedAt: NOW - 900 * DAY, guid: 'x' });
    const b = rel('Radiohead - OK Computer [FLAC]', { publishedAt: NOW, guid: 'y' });
    const one = rankCandidates(karma, [a, b]).ranked.map((r) => r.candidate);
    const two = rankCandidates(karma, [b, a]).ranked.map((r) => r.candidate);
    expect(one).toEqual([b, a]);
    expect(two).toEqual(one);
  });

  it('mixes with Soulseek files: a FLAC file beats an MP3 release', () => {
    const file = cand('Music\\Radiohead\\OK Computer\\06 - Karma Police.flac');
    const release = rel('Radiohead - OK Computer [MP3 320]', { seeders: 500 });
    expect(rankCandidates(karma, [release, file]).ranked[0]?.candidate).toBe(file);
  });

  it('a quality profile reads the format from the title (Audiophile: lossless only)', () => {
    const audiophile = BUILT_IN_PROFILES.find((p) => p.name === 'Audiophile')!;
    const flac = rel('Radiohead - OK Computer [FLAC]');
    const mp3 = rel('Radiohead - OK Computer [MP3 320]');
    const result = rankWithProfile(karma, [mp3, flac], audiophile);
    expect(result.ranked.map((r) => r.candidate)).toEqual([flac]);
    expect(result.rejected.map((r) => r.candidate)).toEqual([mp3]);
  });
});
