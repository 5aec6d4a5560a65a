import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildNzb,
  NzbError,
  readNzbToken,
  releaseKey,
  signRelease,
  verifyRelease,
  type ReleaseIdentity,
} from './nzb.js';

const KEY = 'api-key-0123456789abcdef';
const RELEASE: ReleaseIdentity = {
  artist: 'Prism & <Avenue>',
  album: 'Harbour "Lights"',
  year: 2019,
  provider: 'slskd',
  username: 'peer\u0007 <b>',
  directory: '@@f\\Music\\Prism Avenue\\Harbour Lights (2019)',
  files: 3,
  size: 123_456,
  format: 'flac',
  bitRate: 900,
};

describe('signed release tokens', () => {
  it('round-trip through an NZB document', () => {
    const token = signRelease(RELEASE, KEY);
    const nzb = buildNzb('Prism & <Avenue> - Harbour\u0000 "Lights"', token, 1_700_000_000_000);
    expect(nzb).toContain('<file ');
    expect(nzb).not.toContain('\u0000');
    expect(nzb).toContain('Prism &amp; &lt;Avenue&gt;');
    expect(verifyRelease(readNzbToken(nzb), KEY)).toEqual(RELEASE);
  });

  it.each([
    ['another key', (t: string) => t, 'other-key-0123456789abcd'],
    [
      'an edited payload',
      (t: string) => `${Buffer.from('{"v":1}').toString('base64url')}.${t.split('.')[1]}`,
      KEY,
    ],
    ['a cut signature', (t: string) => t.slice(0, -4), KEY],
    ['no signature', (t: string) => t.split('.')[0] ?? '', KEY],
    ['three parts', (t: string) => `${t}.x`, KEY],
    ['a huge token', () => 'a'.repeat(9000), KEY],
    // Decodes to the same bytes (the last character's spare bit flipped): one release, one token.
    ['a signature spelled another way', (t: string) => t.slice(0, -1) + respell(t.at(-1)!), KEY],
  ])('refuse %s', (_name, change, key) => {
    expect(() => verifyRelease(change(signRelease(RELEASE, KEY)), key)).toThrow(NzbError);
  });

  it('refuse a correctly signed payload that names no release', () => {
    const body = Buffer.from(JSON.stringify({ v: 1, artist: 'x' })).toString('base64url');
    // Signed as nzb.ts signs (the key holder's own mistake, or an old version's token).
    const sig = createHmac('sha256', KEY)
      .update(`soulspot-lidarr-release:v1:${body}`)
      .digest('base64url');
    expect(() => verifyRelease(`${body}.${sig}`, KEY)).toThrow(/names no release/);
  });

  it('keys a grab by the whole token', () => {
    const a = signRelease(RELEASE, KEY);
    const b = signRelease({ ...RELEASE, username: 'other' }, KEY);
    expect(releaseKey(a)).toBe(releaseKey(a));
    expect(releaseKey(a)).not.toBe(releaseKey(b));
  });
});

describe('reading an NZB', () => {
  it.each([
    ['not XML at all', 'hello', /not an NZB/],
    ['another root', '<error code="1" description="x"/>', /no <nzb> root/],
    ['no file', '<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb"><head/></nzb>', /no <file>/],
    [
      'no release meta',
      '<nzb><head><meta type="title">x</meta></head><file/></nzb>',
      /not made by SoulSpot/,
    ],
  ])('refuses %s', (_name, xml, message) => {
    expect(() => readNzbToken(xml)).toThrow(message);
  });
});

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The base64url character with the lowest (spare, for a 32-byte value) bit flipped. */
function respell(c: string): string {
  return B64URL[B64URL.indexOf(c) ^ 1]!;
}
