import { describe, expect, it } from 'vitest';
import { detectDelimiter, parseCsv, CsvError } from './csv.js';
import {
  parseCsvPlaylist,
  parseDuration,
  parseM3u,
  parseTextList,
  playlistKind,
} from './playlist.js';
import { splitArtistTitle } from './track-line.js';

describe('splitArtistTitle', () => {
  it.each([
    ['Radiohead - Karma Police', { artist: 'Radiohead', title: 'Karma Police' }],
    ['  Björk – Jóga ', { artist: 'Björk', title: 'Jóga' }],
    ['Sigur Rós — Hoppípolla', { artist: 'Sigur Rós', title: 'Hoppípolla' }],
    ['Blur - Song 2 - 2012 Remaster', { artist: 'Blur', title: 'Song 2 - 2012 Remaster' }],
    ['\uFEFFA-ha - Take On Me', { artist: 'A-ha', title: 'Take On Me' }],
    ['Jay-Z - 99 Problems', { artist: 'Jay-Z', title: '99 Problems' }],
    ['Artist\t-\tTitle', { artist: 'Artist', title: 'Title' }],
  ])('%j', (text, want) => expect(splitArtistTitle(text)).toEqual(want));

  it.each(['Radiohead', 'Jay-Z-99 Problems', ' - Title', 'Artist - ', '', 'A -B'])(
    '%j is not Artist - Title',
    (text) => expect(splitArtistTitle(text)).toBeNull(),
  );
});

describe('parseCsv', () => {
  it.each<[string, string, string[][]]>([
    [
      'plain rows, LF',
      'a,b\nc,d\n',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'CRLF and no final newline',
      'a,b\r\nc,d',
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
    ],
    [
      'quoted comma, quote and newline',
      '"x, y","say ""hi""","two\nlines"\n',
      [['x, y', 'say "hi"', 'two\nlines']],
    ],
    ['empty fields', ',,\n', [['', '', '']]],
    ['blank lines skipped', 'a\n\n\nb\n', [['a'], ['b']]],
    ['BOM dropped', '\uFEFFa,b\n', [['a', 'b']]],
    ['a quote inside an unquoted field is text', 'ab"c,d\n', [['ab"c', 'd']]],
  ])('%s', (_, text, rows) => expect(parseCsv(text)).toEqual(rows));

  it('semicolons and tabs', () => {
    expect(parseCsv('a;b\n', ';')).toEqual([['a', 'b']]);
    expect(detectDelimiter('artist;title;album\nx;y;z')).toBe(';');
    expect(detectDelimiter('artist\ttitle\n')).toBe('\t');
    expect(detectDelimiter('"a;b",c\n')).toBe(',');
  });

  it('an unclosed quote is an error naming the line', () => {
    expect(() => parseCsv('a,b\n"c,d\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\n"c,d\n')).toThrow(/line 3/);
  });
});

describe('parseDuration', () => {
  it.each<[string, 's' | 'ms', number | undefined | 'invalid']>([
    ['215', 's', 215],
    ['215.4', 's', 215.4],
    ['3:35', 's', 215],
    ['1:02:03', 's', 3723],
    ['215000', 'ms', 215],
    ['', 's', undefined],
    ['0', 's', 'invalid'],
    ['3:75', 's', 'invalid'],
    ['abc', 's', 'invalid'],
    ['3:35', 'ms', 'invalid'],
    ['90000', 's', 'invalid'],
  ])('%j (%s) → %j', (text, unit, want) => expect(parseDuration(text, unit)).toEqual(want));
});

describe('parseCsvPlaylist', () => {
  it('finds the columns by header in any order, ignores others', () => {
    const text =
      'Duration,Album,Title,Extra,Artist\n3:35,OK Computer,"Karma Police",x,Radiohead\n,,"Hello, Goodbye",,The Beatles\n';
    expect(parseCsvPlaylist(text)).toEqual({
      tracks: [
        { artist: 'Radiohead', title: 'Karma Police', album: 'OK Computer', durationSeconds: 215 },
        { artist: 'The Beatles', title: 'Hello, Goodbye' },
      ],
      problems: [],
    });
  });

  it("reads Exportify's headers, duration in ms", () => {
    const text =
      '"Track URI","Track Name","Artist Name(s)","Album Name","Duration (ms)"\n"spotify:x","Jóga","Björk","Homogenic","305000"\n';
    expect(parseCsvPlaylist(text).tracks).toEqual([
      { artist: 'Björk', title: 'Jóga', album: 'Homogenic', durationSeconds: 305 },
    ]);
  });

  it('without a header: artist, title, album, duration', () => {
    expect(parseCsvPlaylist('Radiohead,Airbag,OK Computer,284\nBlur,Song 2\n').tracks).toEqual([
      { artist: 'Radiohead', title: 'Airbag', album: 'OK Computer', durationSeconds: 284 },
      { artist: 'Blur', title: 'Song 2' },
    ]);
  });

  it('a one-column file without header is "Artist - Title" lines', () => {
    expect(parseCsvPlaylist('Blur - Song 2\n').tracks).toEqual([
      { artist: 'Blur', title: 'Song 2' },
    ]);
  });

  it('semicolon CSV from a European spreadsheet', () => {
    expect(parseCsvPlaylist('Artist;Title\nCan;Vitamin C\n').tracks).toEqual([
      { artist: 'Can', title: 'Vitamin C' },
    ]);
  });

  it('reports each bad row with its line', () => {
    const out = parseCsvPlaylist('artist,title,duration\nA,,3\n,B,3\nC,D,soon\nE,F,4\n');
    expect(out.tracks).toEqual([{ artist: 'E', title: 'F', durationSeconds: 4 }]);
    expect(out.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(out.problems[2]?.message).toContain('"soon" is not a duration');
  });
});

describe('parseTextList', () => {
  it('one track a line; blanks and # comments skipped; bad lines reported', () => {
    const out = parseTextList('# my list\nBlur - Song 2\r\n\nnot a track\nCan – Vitamin C\n');
    expect(out.tracks).toEqual([
      { artist: 'Blur', title: 'Song 2' },
      { artist: 'Can', title: 'Vitamin C' },
    ]);
    expect(out.problems).toEqual([{ line: 4, message: expect.stringContaining('not a track') }]);
  });
});

describe('parseM3u', () => {
  it('#EXTINF names the entry and gives its length; -1 is unknown', () => {
    const text =
      '#EXTM3U\n#EXTINF:215,Radiohead - Karma Police\nmusic/karma.flac\n#EXTINF:-1,Blur - Song 2\nhttp://x/y.mp3\n';
    expect(parseM3u(text)).toEqual({
      tracks: [
        { artist: 'Radiohead', title: 'Karma Police', durationSeconds: 215 },
        { artist: 'Blur', title: 'Song 2' },
      ],
      problems: [],
    });
  });

  it('attributes in #EXTINF, entries without it named by file, a last #EXTINF alone', () => {
    const text =
      '#EXTINF:180 tvg-id="x",Can - Vitamin C\nc.mp3\nMusic\\Can\\03 - Can - Mushroom.flac\n#EXTINF:200,Neu! - Hallogallo\n';
    expect(parseM3u(text).tracks).toEqual([
      { artist: 'Can', title: 'Vitamin C', durationSeconds: 180 },
      { artist: 'Can', title: 'Mushroom' },
      { artist: 'Neu!', title: 'Hallogallo', durationSeconds: 200 },
    ]);
  });

  it('reports an entry that names no artist', () => {
    const out = parseM3u('#EXTINF:10,Untitled\nu.mp3\n');
    expect(out.tracks).toEqual([]);
    expect(out.problems).toEqual([{ line: 1, message: expect.stringContaining('Untitled') }]);
  });
});

describe('playlistKind', () => {
  it.each([
    ['list.CSV', 'csv'],
    ['a/b.tsv', 'csv'],
    ['list.txt', 'txt'],
    ['list.m3u', 'm3u'],
    ['list.m3u8', 'm3u'],
    ['list.xspf', null],
  ])('%s → %s', (name, kind) => expect(playlistKind(name)).toBe(kind));
});
