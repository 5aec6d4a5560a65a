import { describe, expect, it } from 'vitest';
import { BUILT_IN_PROFILES, DEFAULT_RULES } from './quality-profile-builtins.js';
import {
  AUDIO_FORMATS,
  CONDITION_NAMES,
  CONDITIONS,
  evaluateProfile,
  factsOf,
  type CandidateFacts,
  type ConditionName,
  type ProfileRules,
} from './quality-profile.js';

const flac: CandidateFacts = {
  extension: 'flac',
  path: 'Music\\Radiohead\\OK Computer\\06 - Karma Police.flac',
  source: 'peer',
  sampleRateHz: 44_100,
  bitDepth: 16,
  sizeBytes: 30_000_000,
  durationSeconds: 264,
};
const mp3 = (kbps: number | undefined, extra: Partial<CandidateFacts> = {}): CandidateFacts => ({
  extension: 'mp3',
  path: 'Music\\Radiohead\\OK Computer\\06 - Karma Police.mp3',
  source: 'peer',
  ...(kbps !== undefined ? { bitrateKbps: kbps } : {}),
  sizeBytes: 8_000_000,
  durationSeconds: 264,
  ...extra,
});
const wanted = { durationSeconds: 264, text: 'Radiohead Karma Police OK Computer' };

/** Rules with one condition set and nothing required, so its failure is a preference. */
const rules = (patch: Partial<ProfileRules>): ProfileRules => ({
  ...DEFAULT_RULES,
  required: [],
  ...patch,
});

/** For each condition: rules that switch it on, facts that fail it, and the reason they give. */
const failing: {
  condition: ConditionName;
  rules: Partial<ProfileRules>;
  facts: CandidateFacts;
  reason: string;
  weight?: number;
}[] = [
  {
    condition: 'format',
    rules: { preferredFormats: ['flac', 'wav'] },
    facts: mp3(320),
    reason: 'format mp3 not in flac, wav',
  },
  {
    condition: 'formatOrder',
    rules: { preferredFormats: ['flac', 'mp3', 'ogg', 'opus'] },
    facts: mp3(320),
    reason: 'mp3 is choice 2 of 4',
    weight: 0.25,
  },
  {
    condition: 'lossless',
    rules: { preferLossless: true },
    facts: mp3(320),
    reason: 'lossy (mp3)',
  },
  {
    condition: 'bitrate',
    rules: { minBitrate: 256 },
    facts: mp3(192),
    reason: 'bitrate 192 kbps, below 256',
  },
  {
    condition: 'bitrate',
    rules: { minBitrate: 192, maxBitrate: 256 },
    facts: mp3(320),
    reason: 'bitrate 320 kbps, above 256',
  },
  {
    condition: 'sampleRate',
    rules: { minSampleRate: 48_000 },
    facts: flac,
    reason: 'sample rate 44100 Hz, below 48000 Hz',
  },
  {
    condition: 'bitDepth',
    rules: { minBitDepth: 24 },
    facts: flac,
    reason: 'bit depth 16, below 24',
  },
  {
    condition: 'fileSize',
    rules: { maxFileSizeMb: 15 },
    facts: flac,
    reason: 'size 30 MB, above 15 MB',
  },
  {
    condition: 'fileSize',
    rules: { minFileSizeMb: 10 },
    facts: mp3(320),
    reason: 'size 8 MB, below 10 MB',
  },
  {
    condition: 'duration',
    rules: { durationToleranceSeconds: 3 },
    facts: { ...flac, durationSeconds: 270 },
    reason: 'duration 270 s, expected 264 s ± 3',
  },
  {
    condition: 'excludeKeywords',
    rules: { excludeKeywords: ['Bootleg', 'vinyl rip'] },
    facts: { ...flac, path: 'Radiohead\\1997 Vinyl-Rip\\Karma Police.flac' },
    reason: 'excluded keyword "vinyl rip"',
  },
  {
    condition: 'excludeUsers',
    rules: { excludeUsers: ['leech'] },
    facts: { ...flac, source: 'leech' },
    reason: 'excluded user leech',
  },
];

describe('quality-profile conditions: the table', () => {
  it('has exactly one row per condition name, under its own name', () => {
    expect(Object.keys(CONDITIONS).sort()).toEqual([...CONDITION_NAMES].sort());
    for (const name of CONDITION_NAMES) expect(CONDITIONS[name].name).toBe(name);
  });

  it('describes every condition and shows a failing example of each below', () => {
    for (const name of CONDITION_NAMES) {
      expect(CONDITIONS[name].description.length).toBeGreaterThan(10);
      expect(failing.map((f) => f.condition)).toContain(name);
    }
  });

  it('lets unknown facts pass every condition that says so (all of them)', () => {
    const bare: CandidateFacts = { extension: 'flac', path: 'x\\Karma Police.flac', source: 'p' };
    const everything = rules({
      ...BUILT_IN_PROFILES[0],
      minBitrate: 1000,
      maxSampleRate: 1,
      maxBitDepth: 1,
      minFileSizeMb: 999,
      required: CONDITION_NAMES.filter((n) => CONDITIONS[n].requiredCapable),
    });
    for (const name of CONDITION_NAMES) {
      expect(CONDITIONS[name].unknownPasses).toBe(true);
      expect(CONDITIONS[name].check(everything, bare, {})).toBeUndefined();
    }
  });

  it('allows only the order of formats to be preference-only', () => {
    const preferenceOnly = CONDITION_NAMES.filter((n) => !CONDITIONS[n].requiredCapable);
    expect(preferenceOnly).toEqual(['formatOrder']);
  });

  it('uses only known formats in the built-ins', () => {
    for (const profile of BUILT_IN_PROFILES) {
      for (const format of profile.preferredFormats) expect(AUDIO_FORMATS).toContain(format);
      for (const name of profile.required) expect(CONDITIONS[name].requiredCapable).toBe(true);
    }
  });
});

describe('quality-profile conditions: required rejects, preferred ranks', () => {
  it.each(failing)(
    '$condition: "$reason"',
    ({ condition, rules: patch, facts, reason, weight }) => {
      const preferred = evaluateProfile(rules(patch), facts, wanted);
      expect(preferred).toEqual({
        accepted: true,
        score: -(weight ?? 1),
        parts: [{ condition, points: -(weight ?? 1), reason }],
      });

      const required = evaluateProfile(rules({ ...patch, required: [condition] }), facts, wanted);
      if (CONDITIONS[condition].requiredCapable) {
        expect(required).toEqual({ accepted: false, rejected: [{ condition, reason }] });
      } else {
        // Naming it in `required` changes nothing: an order cannot reject (the API refuses it).
        expect(required).toEqual(preferred);
      }
    },
  );

  it('passes a file that meets the condition, and an inactive condition passes everything', () => {
    expect(evaluateProfile(rules({ minBitrate: 256 }), mp3(320), wanted)).toEqual({
      accepted: true,
      score: 0,
      parts: [],
    });
    expect(evaluateProfile(rules({}), mp3(96), wanted)).toMatchObject({ score: 0, parts: [] });
  });

  it('lists every required failure, and no preferred ones, when it rejects', () => {
    const strict = rules({
      minBitrate: 256,
      maxFileSizeMb: 5,
      preferLossless: true,
      required: ['bitrate', 'fileSize'],
    });
    expect(evaluateProfile(strict, mp3(128), wanted)).toEqual({
      accepted: false,
      rejected: [
        { condition: 'bitrate', reason: 'bitrate 128 kbps, below 256' },
        { condition: 'fileSize', reason: 'size 8 MB, above 5 MB' },
      ],
    });
  });

  it('adds preferred failures up', () => {
    const picky = rules({ preferredFormats: ['flac', 'ogg', 'mp3'], preferLossless: true });
    const verdict = evaluateProfile(picky, mp3(320), wanted);
    expect(verdict).toMatchObject({ accepted: true, score: -(1 + 2 / 3) });
  });

  it('treats allowLossy false as a required lossless, even when `required` omits it', () => {
    const verdict = evaluateProfile(rules({ allowLossy: false }), mp3(320), wanted);
    expect(verdict).toEqual({
      accepted: false,
      rejected: [{ condition: 'lossless', reason: 'lossy (mp3)' }],
    });
  });

  it('checks bitrate on lossy files only', () => {
    const highOnly = rules({ minBitrate: 256, required: ['bitrate'] });
    expect(evaluateProfile(highOnly, { ...flac, bitrateKbps: 100 }, wanted).accepted).toBe(true);
  });

  it('does not hold an excluded keyword against a file when the request names it', () => {
    const noLive = rules({ excludeKeywords: ['live'], required: ['excludeKeywords'] });
    const facts = { ...flac, path: 'Oasis\\Definitely Maybe\\05 Live Forever.flac' };
    expect(evaluateProfile(noLive, facts, { text: 'Oasis Live Forever' }).accepted).toBe(true);
    expect(evaluateProfile(noLive, facts, { text: 'Oasis Supersonic' }).accepted).toBe(false);
    // Whole words only: "Oliver" does not contain the keyword "live".
    const oliver = { ...flac, path: 'Oliver\\Karma Police.flac' };
    expect(evaluateProfile(noLive, oliver, {}).accepted).toBe(true);
  });

  it('skips the duration when either side is unknown', () => {
    const tight = rules({ durationToleranceSeconds: 0, required: ['duration'] });
    expect(evaluateProfile(tight, { ...flac, durationSeconds: 999 }, {}).accepted).toBe(true);
    const { durationSeconds: _, ...noLength } = flac;
    expect(evaluateProfile(tight, noLength, wanted).accepted).toBe(true);
  });
});

describe('the built-in profiles', () => {
  const byName = (name: string) => BUILT_IN_PROFILES.find((p) => p.name === name)!;
  const verdict = (name: string, facts: CandidateFacts) =>
    evaluateProfile(byName(name), facts, wanted);

  it('has exactly one default, Any', () => {
    expect(BUILT_IN_PROFILES.filter((p) => p.isDefault).map((p) => p.name)).toEqual(['Any']);
  });

  it.each([
    // profile, facts, accepted
    ['Audiophile', flac, true],
    ['Audiophile', mp3(320), false],
    ['Balanced', flac, true],
    ['Balanced', mp3(256), true],
    ['Balanced', mp3(192), false],
    ['Balanced', mp3(undefined), true],
    ['Space Saver', mp3(192), true],
    ['Space Saver', mp3(320), true],
    ['Space Saver', mp3(128), false],
    ['Space Saver', flac, false],
    ['Any', mp3(64), true],
    ['Any', flac, true],
  ] as const)('%s: %j accepted=%s', (name, facts, accepted) => {
    expect(verdict(name, facts).accepted).toBe(accepted);
  });

  it('gives reasons a user can read', () => {
    expect(verdict('Audiophile', mp3(320))).toEqual({
      accepted: false,
      rejected: [
        { condition: 'format', reason: 'format mp3 not in flac, alac, ape, wv, aiff, aif, wav' },
        { condition: 'lossless', reason: 'lossy (mp3)' },
      ],
    });
    expect(verdict('Space Saver', { ...mp3(320), sizeBytes: 20_000_000 })).toEqual({
      accepted: true,
      score: -1,
      parts: [{ condition: 'fileSize', points: -1, reason: 'size 20 MB, above 15 MB' }],
    });
  });

  it('keeps allowLossy and a required lossless in step', () => {
    for (const profile of BUILT_IN_PROFILES) {
      expect(profile.allowLossy).toBe(!profile.required.includes('lossless'));
    }
  });
});

describe('factsOf', () => {
  it('takes the extension from the name and drops numbers a peer garbled', () => {
    expect(
      factsOf({
        provider: 'slskd',
        username: 'u',
        filename: 'a\\b.FLAC',
        size: 10,
        extension: 'mp3',
        bitRate: Number.NaN,
        sampleRate: -1,
        lengthSeconds: 200,
        hasFreeUploadSlot: true,
        queueLength: 0,
        uploadSpeed: 0,
      }),
    ).toEqual({
      extension: 'flac',
      path: 'a\\b.FLAC',
      source: 'u',
      sizeBytes: 10,
      durationSeconds: 200,
    });
  });
});
