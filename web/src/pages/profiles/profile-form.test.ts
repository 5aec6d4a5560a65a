import { describe, expect, it } from 'vitest';
import type { QualityProfile } from '../../types';
import { CONDITIONS, PROFILE_KEYS, profileChanges, profileToForm } from './profile-form';

const BALANCED: QualityProfile = {
  id: 'b',
  name: 'Balanced',
  description: 'FLAC, or a lossy file of at least 256 kbps.',
  isDefault: true,
  builtIn: true,
  preferredFormats: ['flac', 'mp3'],
  minBitrate: 256,
  maxBitrate: null,
  minSampleRate: null,
  maxSampleRate: null,
  minBitDepth: null,
  maxBitDepth: null,
  minFileSizeMb: null,
  maxFileSizeMb: null,
  durationToleranceSeconds: 10,
  excludeKeywords: ['live'],
  excludeUsers: [],
  preferLossless: true,
  allowLossy: true,
  required: ['format', 'bitrate'],
  providers: [],
};

describe('profile form', () => {
  it('round-trips a profile with no changes', () => {
    expect(profileChanges(BALANCED, profileToForm(BALANCED))).toEqual({ body: {}, errors: {} });
  });

  it('shows lists and bounds as text', () => {
    const form = profileToForm(BALANCED);
    expect(form['preferredFormats']).toBe('flac, mp3');
    expect(form['minBitrate']).toBe('256');
    expect(form['maxBitrate']).toBe('');
    expect(form['excludeKeywords']).toBe('live');
    expect(form['required']).toEqual(['format', 'bitrate']);
  });

  it('sends only what changed: a cleared bound as null, lists parsed, required as a set', () => {
    const form = {
      ...profileToForm(BALANCED),
      minBitrate: '',
      maxSampleRate: '48000',
      preferredFormats: '.FLAC  ogg,mp3',
      excludeUsers: 'bad\n\n  worse ',
      required: ['bitrate', 'format', 'lossless'],
      allowLossy: false,
    };
    expect(profileChanges(BALANCED, form)).toEqual({
      body: {
        minBitrate: null,
        maxSampleRate: 48000,
        preferredFormats: ['flac', 'ogg', 'mp3'],
        excludeUsers: ['bad', 'worse'],
        required: ['bitrate', 'format', 'lossless'],
        allowLossy: false,
      },
      errors: {},
    });
    expect(
      profileChanges(BALANCED, { ...profileToForm(BALANCED), required: ['bitrate', 'format'] }),
    ).toEqual({ body: {}, errors: {} });
  });

  it('names a field whose text is not a number', () => {
    const form = { ...profileToForm(BALANCED), minBitrate: 'high', durationToleranceSeconds: '' };
    expect(profileChanges(BALANCED, form).errors).toEqual({
      minBitrate: 'must be a number of 0 or more',
      durationToleranceSeconds: 'required',
    });
  });

  it('covers every rule field of the API once', () => {
    const keys = CONDITIONS.flatMap((c) => c.fields.map((f) => f.key));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of Object.keys(BALANCED)) {
      if (key === 'id' || key === 'builtIn') continue;
      expect(PROFILE_KEYS).toContain(key);
    }
  });
});
