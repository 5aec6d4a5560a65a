import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { TorznabIndexerSettingsSchema, torznabSettings } from './torznab.settings.js';

const check = Compile(TorznabIndexerSettingsSchema);
const valid = {
  id: 'prowlarr-1',
  url: 'http://prowlarr.lan:9696/1/api',
  apiKey: 'abcdef123456',
  protocol: 'torrent',
  clientId: 'qbittorrent',
  categories: [3000, 3040],
  rateLimitPerMinute: 30,
  enabled: true,
  allowPrivateAddress: true,
};

describe('TorznabIndexerSettingsSchema', () => {
  it('accepts a full indexer', () => expect(check.Check(valid)).toBe(true));

  it.each([
    ['url', { url: 'file:///etc/passwd' }],
    ['url', { url: 'javascript:alert(1)' }],
    ['protocol', { protocol: 'ftp' }],
    ['categories', { categories: [] }],
    ['rateLimitPerMinute', { rateLimitPerMinute: 0 }],
    ['id', { id: '../etc' }],
    ['extra', { extra: 1 }],
  ])('refuses a bad %s', (field, patch) => {
    const value = { ...valid, ...patch };
    expect(check.Check(value)).toBe(false);
    const paths = [...check.Errors(value)].map((e) => JSON.stringify(e));
    expect(paths.join(' ')).toContain(field === 'extra' ? 'additional' : field);
  });

  it('marks the API key write-only', () => {
    expect(
      (TorznabIndexerSettingsSchema.properties.apiKey as { writeOnly?: boolean }).writeOnly,
    ).toBe(true);
  });
});

describe('torznabSettings', () => {
  it('fills the defaults and trims a trailing slash', () => {
    const s = torznabSettings({
      id: 'ix',
      url: 'https://indexer.example/api/',
      apiKey: 'k',
      protocol: 'usenet',
      clientId: 'nzbget',
    });
    expect(s).toMatchObject({
      url: 'https://indexer.example/api',
      categories: [3000, 3010, 3040],
      rateLimitPerMinute: 30,
      enabled: true,
      allowPrivateAddress: false,
    });
  });
});
