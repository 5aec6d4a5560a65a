import { describe, expect, it } from 'vitest';
import { base, cand, decoyCases, karma } from '../../test/helpers/ranking-cases.js';
import { DEFAULT_QUALITY_POLICY } from './quality-policy.js';
import { rankCandidates } from './ranking.js';

// The decoy table lives in test/helpers/ranking-cases.ts: the quality-profile tests run it too.

describe('rankCandidates: decoys lose to the right file', () => {
  it('has at least 30 cases', () => expect(decoyCases.length).toBeGreaterThanOrEqual(30));

  it.each(decoyCases)('$name', ({ target, right, decoys, blocked, records }) => {
    const all = [...decoys.map((d) => d.c), right];
    const result = rankCandidates(target ?? karma, all, {
      isBlocked: (c) => c.username === blocked,
      peerRecord: (username) => records?.[username],
    });
    expect(result.ranked[0]?.candidate).toBe(right);
    for (const decoy of decoys) {
      if (!decoy.reason) continue;
      const rejection = result.rejected.find((r) => r.candidate === decoy.c);
      expect(rejection?.reason).toMatch(decoy.reason);
    }
    expect(result.ranked.length + result.rejected.length).toBe(all.length);
  });
});

describe('rankCandidates: notes and policy', () => {
  it('explains a score in short notes', () => {
    const [top] = rankCandidates(karma, [cand(`${base}06 - Karma Police.flac`)]).ranked;
    expect(top?.notes).toEqual(['flac', 'free slot', '977 KB/s', 'album matches', 'exact name']);
  });

  it('rejects lossy files under the policy minimum but never lossless ones', () => {
    const policy = { ...DEFAULT_QUALITY_POLICY, minBitrateKbps: 192 };
    const low = cand(`${base}06 - Karma Police.mp3`, { bitRate: 128 });
    const flac = cand(`${base}06 - Karma Police.flac`, { bitRate: 100 });
    const result = rankCandidates(karma, [low, flac], { policy });
    expect(result.rejected).toEqual([{ candidate: low, reason: 'bitrate 128 kbps, minimum 192' }]);
    expect(result.ranked.map((r) => r.candidate)).toEqual([flac]);
  });

  it('keeps variants when the policy says so', () => {
    const policy = { ...DEFAULT_QUALITY_POLICY, rejectVariants: false };
    const remix = cand(`${base}06 - Karma Police (Remix).flac`);
    expect(rankCandidates(karma, [remix], { policy }).ranked).toHaveLength(1);
  });

  it('skips the duration check when either side is unknown', () => {
    const noLength = cand(`${base}06 - Karma Police.flac`, { lengthSeconds: undefined });
    expect(rankCandidates(karma, [noLength]).ranked).toHaveLength(1);
    const long = cand(`${base}06 - Karma Police.flac`, { lengthSeconds: 999 });
    expect(rankCandidates({ ...karma, durationSeconds: null }, [long]).ranked).toHaveLength(1);
  });

  it('breaks score ties by username, then file name, whatever the input order', () => {
    const c1 = cand(`${base}06 - Karma Police.flac`, { username: 'bob' });
    const c2 = cand(`${base}06 - Karma Police.flac`, { username: 'amy' });
    const c3 = cand(`Radiohead\\OK Computer\\06 - Karma Police.flac`, { username: 'amy' });
    for (const input of [
      [c1, c2, c3],
      [c3, c2, c1],
      [c2, c1, c3],
    ]) {
      const { ranked } = rankCandidates(karma, input);
      expect(new Set(ranked.map((r) => r.score)).size).toBe(1);
      expect(ranked.map((r) => r.candidate)).toEqual([c2, c3, c1]);
    }
  });

  it('asks for each peer record once', () => {
    const asked: string[] = [];
    const files = ['a', 'b', 'c'].map((n) => cand(`${base}06 - Karma Police ${n}.flac`));
    rankCandidates(karma, files, { peerRecord: (u) => (asked.push(u), undefined) });
    expect(asked).toEqual(['peer']);
  });
});
