import { describe, expect, it } from 'vitest';
import { buildApp, type AppDeps } from './app.js';

/** Only the key matters here: the guard runs before any route or service is touched. */
const depsWith = (apiKey: string): AppDeps => {
  const notUsedHere = {} as never;
  return {
    apiKey,
    downloads: notUsedHere,
    blocklist: notUsedHere,
    health: notUsedHere,
    broker: notUsedHere,
    settings: notUsedHere,
    queueControl: notUsedHere,
    qualityProfiles: notUsedHere,
  };
};

describe('buildApp', () => {
  it.each([
    ['an empty key', ''],
    ['a short key', 'short-key-123'],
    ['white space only', ' '.repeat(20)],
  ])('refuses to build with %s (the API would otherwise be open)', async (_name, key) => {
    await expect(buildApp(depsWith(key))).rejects.toThrow(/at least 16 characters/);
  });
});
