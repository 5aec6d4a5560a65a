import { describe, expect, it } from 'vitest';
import { classifyAnswer, RETRY_AFTER_CAP_MS, retryAfterMs } from './target-answer.js';

const NOW = Date.parse('2026-12-02T12:00:00Z');

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, capped', () => {
    expect(retryAfterMs('120', NOW)).toBe(120_000);
    expect(retryAfterMs(['7', '9'], NOW)).toBe(7000);
    expect(retryAfterMs('Wed, 02 Dec 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(retryAfterMs('99999999', NOW)).toBe(RETRY_AFTER_CAP_MS);
    expect(retryAfterMs('Thu, 01 Dec 2050 00:00:00 GMT', NOW)).toBe(RETRY_AFTER_CAP_MS);
    expect(retryAfterMs('600', NOW, 60_000)).toBe(60_000);
  });

  it('ignores what is not a future delay', () => {
    for (const bad of [
      undefined,
      '',
      '0',
      '-3',
      '1.5',
      '10s',
      'soon',
      'Wed, 02 Dec 2026 11:00:00 GMT',
    ])
      expect(retryAfterMs(bad, NOW), String(bad)).toBeNull();
  });
});

describe('classifyAnswer', () => {
  it('maps each status to what later deliveries do', () => {
    const cases: [number | null, string | undefined, string][] = [
      [200, '5', 'ok'],
      [204, undefined, 'ok'],
      [429, '5', 'wait'],
      [503, '5', 'wait'],
      [429, undefined, 'failed'],
      [500, '5', 'failed'], // only 429 and 503 carry a meaningful Retry-After here
      [410, undefined, 'gone'],
      [404, undefined, 'failed'],
      [null, undefined, 'failed'],
    ];
    for (const [status, header, kind] of cases)
      expect(classifyAnswer(status, header, NOW).kind, `${status} ${header}`).toBe(kind);
    expect(classifyAnswer(503, '5', NOW)).toEqual({ kind: 'wait', untilMs: NOW + 5000 });
  });
});
