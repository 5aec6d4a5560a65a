import { describe, expect, it } from 'vitest';
import { linkForMessages, redactUrls } from './link-redaction.js';

describe('links in messages', () => {
  it('keeps origin and path, drops the query that carries the key', () => {
    expect(linkForMessages('http://prowlarr:9696/1/download?apikey=SECRET&link=x')).toBe(
      'http://prowlarr:9696/1/download',
    );
    expect(linkForMessages('https://user:pw@nzb.example/getnzb/abc.nzb?r=SECRET')).toBe(
      'https://nzb.example/getnzb/abc.nzb',
    );
    expect(linkForMessages('not a url')).toBe('(an unparseable link)');
  });

  it('redacts every URL inside an error message', () => {
    const message =
      'connect ECONNREFUSED 127.0.0.1:9 (http://127.0.0.1:9/dl/a.torrent?jackett_apikey=SECRET), then https://x.example/b?apikey=SECRET2';
    const out = redactUrls(message);
    expect(out).not.toContain('SECRET');
    expect(out).toContain('http://127.0.0.1:9/dl/a.torrent');
    expect(out).toContain('https://x.example/b');
  });
});
