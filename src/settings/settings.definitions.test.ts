import { Compile } from 'typebox/compile';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import {
  SETTING_DEFINITIONS,
  SETTING_KEYS,
  SettingsPatchSchema,
  SettingsSchema,
  defaultSettings,
} from './settings.definitions.js';

const config = loadConfig({
  SOULSPOT_API_KEY: 'a-key-of-sixteen-chars',
  SOULSPOT_DATA_DIR: '/tmp',
});

describe('setting definitions', () => {
  it('gives every setting a description and a default its own schema accepts', () => {
    const defaults = defaultSettings(config);
    for (const key of SETTING_KEYS) {
      expect(SETTING_DEFINITIONS[key].description.length, key).toBeGreaterThan(10);
      expect(Compile(SETTING_DEFINITIONS[key].schema).Check(defaults[key]), key).toBe(true);
    }
    expect(Compile(SettingsSchema).Check(defaults)).toBe(true);
  });

  it('takes the defaults from the environment', () => {
    const custom = defaultSettings(
      loadConfig({
        SOULSPOT_API_KEY: 'a-key-of-sixteen-chars',
        SOULSPOT_DATA_DIR: '/tmp',
        SOULSPOT_MAX_CONCURRENT: '7',
        SOULSPOT_RETRY_BACKOFF_SECONDS: '5,10',
        SOULSPOT_BLOCKLIST_WINDOW_HOURS: '2',
        SOULSPOT_MAX_QUEUED_AT_SOURCE: '9',
        SOULSPOT_TRANSCODE_ACTION: 'warn',
      }),
    );
    expect(custom).toMatchObject({
      maxConcurrent: 7,
      retryBackoffSeconds: [5, 10],
      blocklistWindowHours: 2,
      maxQueuedAtSource: 9,
      transcodeAction: 'warn',
    });
    expect(defaultSettings(config).transcodeAction).toBe('reject');
  });

  it('accepts partial patches and null, and refuses unknown keys and bad values', () => {
    const patch = Compile(SettingsPatchSchema);
    // An empty patch changes nothing: refused, as PATCH /api/downloads/{id} refuses one.
    expect(patch.Check({})).toBe(false);
    expect(patch.Check({ maxConcurrent: 2, stallTimeoutSeconds: null })).toBe(true);
    expect(patch.Check({ maxConcurent: 2 })).toBe(false);
    expect(patch.Check({ maxConcurrent: 0 })).toBe(false);
    expect(patch.Check({ maxConcurrent: 1.5 })).toBe(false);
    expect(patch.Check({ retryBackoffSeconds: [] })).toBe(false);
    expect(patch.Check({ retryBackoffSeconds: [-1] })).toBe(false);
  });
});
