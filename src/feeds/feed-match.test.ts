import { describe, expect, it } from 'vitest';
import { matchEntry, parseReleaseTitle, type WatchRule } from './feed-match.js';

const rule = (over: Partial<WatchRule> = {}): WatchRule => ({
  id: over.id ?? 'r1',
  artist: 'Boards of Canada',
  album: null,
  keywords: [],
  excludeKeywords: [],
  allowVariants: false,
  kind: 'album',
  enabled: true,
  ...over,
});

describe('parseReleaseTitle', () => {
  it.each([
    [
      'Boards of Canada - Tomorrows Harvest (2013) [FLAC]',
      'Boards of Canada',
      'Tomorrows Harvest',
      2013,
      ['FLAC'],
    ],
    ['Artist – Album [WEB] [24-96]', 'Artist', 'Album', null, ['WEB', '24-96']],
    ['Geogaddi, by Boards of Canada', 'Boards of Canada', 'Geogaddi', null, []],
    ['Warp Records: Some Act - no wait', 'Warp Records: Some Act', 'no wait', null, []],
    ['Some Act: New Record', 'Some Act', 'New Record', null, []],
    [
      'Boards_of_Canada-Music_Has_the_Right-WEB-1998-GRP',
      'Boards of Canada',
      'Music Has the Right',
      1998,
      [],
    ],
    [
      'Music Has the Right to Children by Boards of Canada',
      'Boards of Canada',
      'Music Has the Right to Children',
      null,
      [],
    ],
    ['Album 2024', null, null, null, []],
    ['', null, null, null, []],
  ])('%s', (title, artist, release, year, tags) => {
    const parsed = parseReleaseTitle(title);
    if (artist === null) expect(parsed).toBeNull();
    else expect(parsed).toEqual({ artist, release, year, tags });
  });
});

describe('matchEntry', () => {
  const cases: {
    name: string;
    title: string;
    rules: WatchRule[];
    matched: boolean;
    reason: RegExp;
  }[] = [
    {
      name: 'artist match',
      title: 'Boards of Canada - Geogaddi (2002) [FLAC]',
      rules: [rule()],
      matched: true,
      reason: /album by watched artist "Boards of Canada"/,
    },
    {
      name: 'case, accents, punctuation ignored',
      title: 'BOARDS OF CANADA - Geogaddi',
      rules: [rule({ artist: 'Boards of Cånada' })],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'Bandcamp shape',
      title: 'Geogaddi, by Boards of Canada',
      rules: [rule()],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'feat. credit is the main artist',
      title: 'Boards of Canada feat. Someone - Single',
      rules: [rule()],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'another artist',
      title: 'Aphex Twin - Syro',
      rules: [rule()],
      matched: false,
      reason: /"Aphex Twin" is not on the watchlist/,
    },
    {
      name: 'artist only a part of the name',
      title: 'Boards of Canada Tribute Band - Covers',
      rules: [rule()],
      matched: false,
      reason: /not on the watchlist/,
    },
    {
      name: 'no artist-release shape',
      title: 'Weekly news',
      rules: [rule()],
      matched: false,
      reason: /names no "Artist - Release"/,
    },
    {
      name: 'album rule hit',
      title: 'Boards of Canada - Geogaddi (Deluxe) [FLAC]',
      rules: [rule({ album: 'Geogaddi' })],
      matched: true,
      reason: /album "Geogaddi"/,
    },
    {
      name: 'album rule miss',
      title: 'Boards of Canada - Hi Scores',
      rules: [rule({ album: 'Geogaddi' })],
      matched: false,
      reason: /not the album "Geogaddi"/,
    },
    {
      name: 'keyword required, present',
      title: 'Boards of Canada - Geogaddi [FLAC]',
      rules: [rule({ keywords: ['flac'] })],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'keyword required, absent',
      title: 'Boards of Canada - Geogaddi [MP3]',
      rules: [rule({ keywords: ['flac'] })],
      matched: false,
      reason: /keyword "flac" is not/,
    },
    {
      name: 'excluded keyword',
      title: 'Boards of Canada - Geogaddi [MP3]',
      rules: [rule({ excludeKeywords: ['MP3'] })],
      matched: false,
      reason: /excluded keyword "MP3"/,
    },
    {
      name: 'remix refused',
      title: 'Boards of Canada - Dayvan Cowboy (Remixes)',
      rules: [rule()],
      matched: false,
      reason: /remix version/,
    },
    {
      name: 'live refused',
      title: 'Boards of Canada - Live at Warp 2001',
      rules: [rule()],
      matched: false,
      reason: /live version/,
    },
    {
      name: 'remix asked for',
      title: 'Boards of Canada - Dayvan Cowboy (Remixes)',
      rules: [rule({ allowVariants: true })],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'remix named by the album rule',
      title: 'Boards of Canada - Dayvan Cowboy Remixes',
      rules: [rule({ album: 'Dayvan Cowboy Remixes' })],
      matched: true,
      reason: /watched/,
    },
    {
      name: 'disabled rule',
      title: 'Boards of Canada - Geogaddi',
      rules: [rule({ enabled: false })],
      matched: false,
      reason: /not on the watchlist/,
    },
    {
      name: 'second rule takes it when the first misses',
      title: 'Boards of Canada - Geogaddi',
      rules: [rule({ id: 'a', album: 'Hi Scores' }), rule({ id: 'b', kind: 'track' })],
      matched: true,
      reason: /track by watched artist/,
    },
    {
      name: 'the closest miss is the reason',
      title: 'Boards of Canada - Geogaddi',
      rules: [rule({ id: 'a', album: 'Hi Scores' })],
      matched: false,
      reason: /not the album "Hi Scores"/,
    },
  ];
  it.each(cases)('$name', ({ title, rules, matched, reason }) => {
    const verdict = matchEntry(title, rules);
    expect(verdict.matched).toBe(matched);
    expect(verdict.reason).toMatch(reason);
  });

  it('every verdict has a reason and a match names its rule', () => {
    for (const c of cases) {
      const v = matchEntry(c.title, c.rules);
      expect(v.reason.length).toBeGreaterThan(0);
      if (v.matched) expect(c.rules).toContain(v.rule);
    }
  });
});
