import { describe, expect, it } from 'vitest';
import {
  createTorznabIndexers,
  parseTorznabSettings,
  TorznabSettingsError,
} from './torznab.factory.js';

const base = {
  id: 'prowlarr',
  url: 'https://prowlarr.example/1/api',
  apiKey: 'very-secret-key-123',
  protocol: 'torrent',
  clientId: 'qbittorrent',
};

describe('parseTorznabSettings', () => {
  it('fills the schema defaults', () => {
    expect(parseTorznabSettings(base)).toMatchObject({
      ...base,
      categories: [3000, 3010, 3040],
      rateLimitPerMinute: 30,
      enabled: true,
      allowPrivateAddress: false,
    });
  });

  it('names the bad field and never the key', () => {
    const error = (() => {
      try {
        parseTorznabSettings({ ...base, rateLimitPerMinute: -1 });
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(TorznabSettingsError);
    expect(error?.message).toContain('/rateLimitPerMinute');
    expect(error?.message).not.toContain(base.apiKey);
  });

  it('refuses a private address unless allowed', () => {
    expect(() => parseTorznabSettings({ ...base, url: 'http://192.168.1.5:9696/api' })).toThrow(
      /private.*allowPrivateAddress/,
    );
    expect(
      parseTorznabSettings({
        ...base,
        url: 'http://192.168.1.5:9696/api',
        allowPrivateAddress: true,
      }).url,
    ).toBe('http://192.168.1.5:9696/api');
  });
});

describe('createTorznabIndexers', () => {
  it('builds the enabled ones and refuses a duplicate id', () => {
    const built = createTorznabIndexers([
      base,
      { ...base, id: 'nzb', protocol: 'usenet', clientId: 'sabnzbd' },
      { ...base, id: 'off', enabled: false },
    ]);
    expect(built.map((p) => p.name)).toEqual(['torznab:prowlarr', 'torznab:nzb']);
    expect(() => createTorznabIndexers([base, base])).toThrow(/configured twice/);
  });
});
