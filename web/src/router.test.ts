import { describe, expect, it } from 'vitest';
import { withQuery } from './api';
import { parseRoute } from './router';
import { acceptId } from './events';

describe('router', () => {
  it('parses pages and a download id; unknown paths show the queue', () => {
    expect(parseRoute('/history').page).toBe('history');
    const r = parseRoute('/queue/3f1c2b9e-0000-4000-8000-000000000000', '?x=1');
    expect(r.page).toBe('queue');
    expect(r.rest).toEqual(['3f1c2b9e-0000-4000-8000-000000000000']);
    expect(r.query.get('x')).toBe('1');
    expect(parseRoute('/').page).toBe('queue');
    expect(parseRoute('/javascript:alert(1)').page).toBe('queue');
    expect(parseRoute('/login').page).toBe('login');
  });
});

describe('api query strings', () => {
  it('leaves out empty values and comma-joins lists', () => {
    expect(
      withQuery('/api/downloads', {
        order: 'queue',
        status: ['waiting', 'paused'],
        q: '',
        cursor: undefined,
        limit: 200,
      }),
    ).toBe('/api/downloads?order=queue&status=waiting%2Cpaused&limit=200');
    expect(withQuery('/api/x', { status: [] })).toBe('/api/x');
    expect(withQuery('/api/x', { q: 'a&b=c' })).toBe('/api/x?q=a%26b%3Dc');
  });
});

describe('event ids', () => {
  it('drops an event at or below the last id seen (a replay after reconnecting)', () => {
    expect(acceptId(10)).toBe(true);
    expect(acceptId(11)).toBe(true);
    expect(acceptId(11)).toBe(false);
    expect(acceptId(5)).toBe(false);
    expect(acceptId(12)).toBe(true);
  });
});
