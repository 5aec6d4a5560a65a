import { describe, expect, it } from 'vitest';
import { parseTrackLines } from './parse-lines';

describe('"Artist - Title" lines', () => {
  it('splits at the first spaced dash and keeps hyphens inside names', () => {
    const r = parseTrackLines(
      'Jay-Z - 99 Problems\nAC/DC – T.N.T.\r\nArtist — Song - Live at Wembley\n  Björk  -  Jóga  ',
    );
    expect(r.errors).toEqual([]);
    expect(r.tracks).toEqual([
      { artist: 'Jay-Z', title: '99 Problems' },
      { artist: 'AC/DC', title: 'T.N.T.' },
      { artist: 'Artist', title: 'Song - Live at Wembley' },
      { artist: 'Björk', title: 'Jóga' },
    ]);
  });

  it('skips blank and # lines and reports bad ones by line number', () => {
    const r = parseTrackLines('# my list\n\nNo separator\n - Title only\nArtist -\nA - B');
    expect(r.tracks).toEqual([{ artist: 'A', title: 'B' }]);
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5]);
    expect(r.errors[0]!.reason).toMatch(/Artist - Title/);
  });

  it('refuses fields longer than the API accepts', () => {
    const r = parseTrackLines(`${'x'.repeat(501)} - Title`);
    expect(r.tracks).toEqual([]);
    expect(r.errors[0]!.reason).toMatch(/500/);
  });

  it('keeps hostile text as text', () => {
    const r = parseTrackLines('<img src=x onerror=alert(1)> - javascript:alert(1)');
    expect(r.tracks).toEqual([
      { artist: '<img src=x onerror=alert(1)>', title: 'javascript:alert(1)' },
    ]);
  });
});
