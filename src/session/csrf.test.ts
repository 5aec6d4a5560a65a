import { describe, expect, it } from 'vitest';
import { csrfProblem } from './csrf.js';
import { createLoginLimiter, limiterKey } from './login-limiter.js';

const own = 'http://127.0.0.1:8765';
const check = (method: string, origin?: string, secFetchSite?: string) =>
  csrfProblem({ method, origin, secFetchSite, ownOrigin: own });

describe('csrfProblem', () => {
  it('lets reads through whatever their origin', () => {
    for (const m of ['GET', 'HEAD', 'OPTIONS', 'get'])
      expect(check(m, 'http://evil.example')).toBeNull();
  });

  it('accepts our own origin, written with or without the default port', () => {
    expect(check('POST', own)).toBeNull();
    expect(
      csrfProblem({
        method: 'DELETE',
        origin: 'https://a.example',
        secFetchSite: undefined,
        ownOrigin: 'https://a.example:443',
      }),
    ).toBeNull();
    expect(check('PATCH', undefined, 'same-origin')).toBeNull();
  });

  it.each([
    ['a foreign host', 'http://evil.example'],
    ['another port', 'http://127.0.0.1:8766'],
    ['another scheme', 'https://127.0.0.1:8765'],
    ['an opaque origin', 'null'],
    ['garbage', 'not a url'],
    ['a non-http scheme', 'file://'],
  ])('refuses %s', (_name, origin) => {
    expect(check('POST', origin)).toMatch(/is not this server's origin/);
  });

  it('refuses a write with neither Origin nor Sec-Fetch-Site: same-origin', () => {
    expect(check('POST')).toMatch(/must carry an Origin header/);
    expect(check('PUT', undefined, 'same-site')).toMatch(/must carry an Origin header/);
    // Origin wins over Sec-Fetch-Site: a foreign Origin is not saved by the other header.
    expect(check('POST', 'http://evil.example', 'same-origin')).not.toBeNull();
  });
});

describe('createLoginLimiter', () => {
  it('refuses after the limit within the window, until the oldest failure leaves it', () => {
    const limiter = createLoginLimiter({ limit: 3, windowMs: 60_000 });
    for (const t of [0, 10_000, 20_000]) {
      expect(limiter.retryAfterSeconds('a', t)).toBe(0);
      limiter.failed('a', t);
    }
    expect(limiter.retryAfterSeconds('a', 30_000)).toBe(30);
    expect(limiter.retryAfterSeconds('b', 30_000)).toBe(0);
    expect(limiter.retryAfterSeconds('a', 60_000)).toBe(0);
  });

  it('forgets an address on success, and keeps at most maxAddresses', () => {
    const limiter = createLoginLimiter({ limit: 1, maxAddresses: 2 });
    limiter.failed('a', 0);
    limiter.succeeded('a');
    expect(limiter.retryAfterSeconds('a', 1)).toBe(0);
    limiter.failed('x', 0);
    limiter.failed('y', 0);
    limiter.failed('z', 0);
    // x was dropped to make room; y and z are still limited.
    expect(limiter.retryAfterSeconds('x', 1)).toBe(0);
    expect(limiter.retryAfterSeconds('y', 1)).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('z', 1)).toBeGreaterThan(0);
  });
});

describe('the login limiter counts an IPv6 client by its /64', () => {
  it('keys IPv6 by /64, IPv4 and IPv4-mapped IPv6 exactly', () => {
    expect(limiterKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(limiterKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(limiterKey('2001:db8:1:2::'));
    expect(limiterKey('2001:db8:1:3::1')).not.toBe(limiterKey('2001:db8:1:2::1'));
    expect(limiterKey('192.0.2.7')).toBe('192.0.2.7');
    expect(limiterKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(limiterKey('192.0.2.8')).not.toBe(limiterKey('192.0.2.7'));
  });

  it('refuses a new address in the same /64 once the limit is reached, not one in the next /64', () => {
    const limiter = createLoginLimiter({ limit: 3 });
    for (const [i, a] of [
      '2001:db8:0:1::1',
      '2001:db8:0:1::2',
      '2001:db8:0:1:dead::beef',
    ].entries())
      limiter.failed(a, i);
    expect(limiter.retryAfterSeconds('2001:db8:0:1:1234:5678:9abc:def0', 10)).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds('2001:db8:0:2::1', 10)).toBe(0);
    limiter.succeeded('2001:db8:0:1::99');
    expect(limiter.retryAfterSeconds('2001:db8:0:1::1', 10)).toBe(0);
  });
});
