import { describe, expect, it } from 'vitest';
import { albumActions, albumBody, albumProgress, parseTrackList } from './album-form';

const counts = (over: Partial<Record<string, number>> = {}) => ({
  waiting: 0,
  working: 0,
  completed: 0,
  failed: 0,
  cancelled: 0,
  ...over,
});

describe('albumProgress', () => {
  it('is completed tracks of all tracks', () => {
    expect(albumProgress({ counts: counts({ completed: 3, waiting: 1 }), trackCount: 4 })).toEqual({
      done: 3,
      total: 4,
      percent: 75,
    });
    expect(albumProgress({ counts: counts(), trackCount: 0 }).percent).toBe(0);
  });
});

describe('albumActions', () => {
  it('offers cancel while tracks are unfinished and retry once some failed or were cancelled', () => {
    expect(albumActions({ counts: counts({ working: 1 }) })).toEqual({
      cancel: true,
      retry: false,
    });
    expect(albumActions({ counts: counts({ cancelled: 1, completed: 2 }) })).toEqual({
      cancel: false,
      retry: true,
    });
  });
});

describe('parseTrackList', () => {
  it('takes numbers when lines have them and counts on when not', () => {
    expect(parseTrackList('1. Intro\n\n2 - Song Two\n03 Third\nNo number\n 10) Ten ')).toEqual([
      { title: 'Intro', trackNumber: 1 },
      { title: 'Song Two', trackNumber: 2 },
      { title: 'Third', trackNumber: 3 },
      { title: 'No number', trackNumber: 4 },
      { title: 'Ten', trackNumber: 10 },
    ]);
  });
  it('keeps a title that is only a number as a title', () => {
    expect(parseTrackList('1999')).toEqual([{ title: '1999', trackNumber: 1 }]);
  });
});

describe('albumBody', () => {
  const form = { artist: 'A', album: 'B', year: '', tracks: '', qualityProfileId: '' };
  it('leaves out what is empty (no tracks: the best folder decides)', () => {
    expect(albumBody(form)).toEqual({ ok: true, body: { artist: 'A', album: 'B' } });
    expect(albumBody({ ...form, year: '1971', tracks: 'One', qualityProfileId: 'p' })).toEqual({
      ok: true,
      body: {
        artist: 'A',
        album: 'B',
        year: 1971,
        tracks: [{ title: 'One', trackNumber: 1 }],
        qualityProfileId: 'p',
      },
    });
  });
  it('names the bad fields', () => {
    expect(albumBody({ ...form, artist: ' ', year: '19x' })).toEqual({
      ok: false,
      errors: { artist: 'required', year: 'a year from 1 to 9999' },
    });
  });
});
