import { describe, expect, it } from 'vitest';
import { createRedactor, redactUrlCredentials, secretsFromEnv, urlPasswords } from './redact.js';

describe('redactUrlCredentials', () => {
  it.each([
    ['http://user:secret@host:5030/api', 'http://[redacted]@host:5030/api'],
    ['postgres://soulspot:pw@db.local/soulspot', 'postgres://[redacted]@db.local/soulspot'],
    ['https://token@github.com/x', 'https://[redacted]@github.com/x'],
    // Unencoded @ in the password: URL parsers take the last one, so must we.
    ['postgres://u:p@ss@db/x', 'postgres://[redacted]@db/x'],
    [
      'slskd is unreachable at http://a:b@h:1 (ECONNREFUSED) during GET /application',
      'slskd is unreachable at http://[redacted]@h:1 (ECONNREFUSED) during GET /application',
    ],
    // Inside a JSON log line: the match stops at the closing quote.
    ['{"url":"http://a:b@h","x":"y@z"}', '{"url":"http://[redacted]@h","x":"y@z"}'],
    [
      'two: http://a:1@h and HTTPS://b:2@k/p',
      'two: http://[redacted]@h and HTTPS://[redacted]@k/p',
    ],
    // Nothing to hide: an @ after the host, a plain address, an email.
    ['http://host/path?mail=a@b.c', 'http://host/path?mail=a@b.c'],
    ['http://127.0.0.1:5030', 'http://127.0.0.1:5030'],
    ['write to me@example.com', 'write to me@example.com'],
  ])('%s', (input, expected) => {
    expect(redactUrlCredentials(input)).toBe(expected);
  });
});

describe('secretsFromEnv', () => {
  it('takes the values of SOULSPOT_*KEY* and similar variables only', () => {
    expect(
      secretsFromEnv({
        SOULSPOT_API_KEY: 'a'.repeat(20),
        SOULSPOT_SLSKD_API_KEY: 'slskd-secret',
        SOULSPOT_WEBHOOK_SECRET: 'whsec_x',
        SOULSPOT_PORT: '8765',
        SOULSPOT_LIBRARY_DIR: '/music',
        OTHER_API_KEY: 'not-ours-at-all',
        SOULSPOT_EMPTY_KEY: undefined,
      }).sort(),
    ).toEqual(['a'.repeat(20), 'slskd-secret', 'whsec_x'].sort());
  });
});

describe('createRedactor', () => {
  const redact = createRedactor(['0123456789abcdef', 'with"quote\\slash', 'short', undefined]);

  it.each([
    ['key 0123456789abcdef here', 'key [redacted] here'],
    ['x0123456789abcdef0123456789abcdefx', 'x[redacted][redacted]x'],
    // The JSON-escaped form of a value, as it appears in a log line.
    [JSON.stringify({ msg: 'with"quote\\slash' }), '{"msg":"[redacted]"}'],
    ['with"quote\\slash', '[redacted]'],
    // Values too short to be secrets are left alone.
    ['a short word', 'a short word'],
    ['http://u:0123456789abcdef@h', 'http://[redacted]@h'],
  ])('%s', (input, expected) => {
    expect(redact(input)).toBe(expected);
  });
});

describe('urlPasswords', () => {
  it.each([
    [['postgres://u:p%40ss-word@db/x'], ['p%40ss-word', 'p@ss-word']],
    [['http://127.0.0.1:5030', null, undefined, 'not a url'], []],
    [['http://token@h'], []],
    [['postgres://u@db/x?sslmode=disable&password=q%26ery-pass'], ['q&ery-pass']],
  ])('%j', (urls, expected) => {
    expect(urlPasswords(urls)).toEqual(expected);
  });
});
