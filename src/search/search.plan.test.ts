import { describe, expect, it } from 'vitest';
import { candidateId } from '../matching/candidate-id.js';
import { DEFAULT_RULES } from '../matching/quality-profile-builtins.js';
import { rankWithProfile } from '../matching/quality-profile-ranking.js';
import { needsSearch, pendingPick, type StoredCandidates } from '../downloads/search.step.js';
import { candidateOf, searchPlan, SearchRequestError } from './search.service.js';

const file = candidateOf({
  username: 'amy',
  filename: '@@a\\Radiohead\\06 Karma Police.FLAC',
  size: 9,
});

describe('searchPlan', () => {
  it('sends the free text as search words and matches every word of it', () => {
    expect(searchPlan({ query: 'Radiohead - Karma Police (live)' })).toEqual({
      text: 'Radiohead Karma Police live',
      target: {
        artist: '',
        title: '',
        album: null,
        durationSeconds: null,
        keywords: 'Radiohead - Karma Police (live)',
      },
    });
  });

  it('sends "artist title" for a track, as a download searches first', () => {
    const plan = searchPlan({ artist: 'Radiohead', title: 'Karma Police', album: 'OK Computer' });
    expect(plan.text).toBe('Radiohead Karma Police');
    expect(plan.target).toMatchObject({ artist: 'Radiohead', album: 'OK Computer' });
  });

  it.each([
    [{}, 'body: query, or artist and title, is required'],
    [{ query: 'x', title: 'y' }, 'body: give either query, or artist and title, not both'],
    [{ artist: 'a b' }, 'body/title: required with artist'],
    [{ title: 'a b' }, 'body/artist: required with title'],
    [{ query: '- * ?' }, /^body\/query: no word/],
    [{ artist: 'A', title: '?' }, /^body\/title: no word/],
  ])('refuses %j', (body, message) => {
    expect(() => searchPlan(body)).toThrow(SearchRequestError);
    expect(() => searchPlan(body)).toThrow(message);
  });
});

describe('candidateOf and candidateId', () => {
  it('derives the extension from the name and defaults the provider', () => {
    expect(file).toMatchObject({ provider: 'slskd', extension: 'flac', size: 9 });
    expect(file.bitRate).toBeUndefined();
  });

  it('is the same id for the same file from the same peer, another for anything else', () => {
    const again = { ...file, size: 10, bitRate: 320 };
    expect(candidateId(again)).toBe(candidateId(file));
    expect(candidateId({ ...file, username: 'bob' })).not.toBe(candidateId(file));
    expect(candidateId({ ...file, filename: `${file.filename} ` })).not.toBe(candidateId(file));
    expect(candidateId(file)).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});

describe('a stored pick', () => {
  const base: StoredCandidates = { query: 'q', ranked: [], rejected: [] };
  const pick = {
    candidateId: candidateId(file),
    candidate: file,
    from: 'rejected' as const,
    pickedAt: 1,
  };

  it('holds off any search while pending, even over stale or all-rejected candidates', () => {
    expect(needsSearch(base, 0)).toBe(true);
    expect(needsSearch({ ...base, pick }, 0)).toBe(false);
    expect(needsSearch({ ...base, pick, prefetchedAt: 0 }, 10_000_000)).toBe(false);
    expect(pendingPick({ ...base, pick })).toBe(pick);
  });

  it('is spent once its attempt started', () => {
    const started = { ...base, pick: { ...pick, attemptId: 'a' } };
    expect(pendingPick(started)).toBeNull();
    expect(needsSearch(started, 0)).toBe(true);
  });
});

describe('free text under a profile', () => {
  it("lets a profile's excluded keyword through when the text asks for it", () => {
    const rules = { ...DEFAULT_RULES, excludeKeywords: ['live'] };
    const live = candidateOf({ username: 'a', filename: 'Band\\Live\\Tone (Live).flac', size: 9 });
    const plain = searchPlan({ query: 'band tone' }).target;
    const asked = searchPlan({ query: 'band tone live' }).target;
    expect(rankWithProfile(plain, [live], rules).ranked).toHaveLength(0);
    expect(rankWithProfile(asked, [live], rules).ranked).toHaveLength(1);
  });
});
