import { LOSSLESS_EXTENSIONS } from './quality-policy.js';
import type { ProfileRules, QualityProfile } from './quality-profile.js';

/**
 * The rules a profile has when nothing is said: any audio format, no bounds, the ranking's own
 * duration tolerance. Exclusion lists reject when filled (an "excluded" user who is merely ranked
 * lower would surprise); they are empty here, so these rules rank exactly as the default policy.
 */
export const DEFAULT_RULES: ProfileRules = {
  preferredFormats: [],
  minBitrate: null,
  maxBitrate: null,
  minSampleRate: null,
  maxSampleRate: null,
  minBitDepth: null,
  maxBitDepth: null,
  minFileSizeMb: null,
  maxFileSizeMb: null,
  durationToleranceSeconds: 5,
  excludeKeywords: [],
  excludeUsers: [],
  preferLossless: false,
  allowLossy: true,
  required: ['duration', 'excludeKeywords', 'excludeUsers'],
  providers: [],
};

/** Fixed ids, the same in every installation, so documentation and scripts can name them. */
export const BUILT_IN_IDS = {
  audiophile: '00000000-0000-4000-8000-000000000001',
  balanced: '00000000-0000-4000-8000-000000000002',
  spaceSaver: '00000000-0000-4000-8000-000000000003',
  any: '00000000-0000-4000-8000-000000000004',
} as const;

/**
 * The built-in profiles as a fresh installation has them (migration 011 seeds these values; a test
 * keeps the two equal). Users may edit or copy them, not delete them.
 *
 * The default is Any, not Balanced: Any ranks exactly as SoulSpot did before profiles existed
 * (quality-profile-ranking.test.ts proves it), so an upgrade changes nothing about which file an
 * existing or a new download gets. Balanced would start refusing a 192 kbps file that is the only
 * copy anyone shares; that is a choice for the user to make, not for an upgrade.
 */
export const BUILT_IN_PROFILES: readonly QualityProfile[] = [
  {
    ...DEFAULT_RULES,
    id: BUILT_IN_IDS.audiophile,
    name: 'Audiophile',
    description: 'Lossless only, FLAC first; CD quality or better preferred.',
    preferredFormats: [...LOSSLESS_EXTENSIONS],
    minSampleRate: 44_100,
    minBitDepth: 16,
    preferLossless: true,
    allowLossy: false,
    isDefault: false,
    required: [...DEFAULT_RULES.required, 'format', 'lossless'],
  },
  {
    ...DEFAULT_RULES,
    id: BUILT_IN_IDS.balanced,
    name: 'Balanced',
    description: 'FLAC, or a lossy file of at least 256 kbps.',
    preferredFormats: ['flac', 'mp3', 'm4a', 'aac', 'ogg', 'opus'],
    minBitrate: 256,
    preferLossless: true,
    isDefault: false,
    required: [...DEFAULT_RULES.required, 'bitrate'],
  },
  {
    ...DEFAULT_RULES,
    id: BUILT_IN_IDS.spaceSaver,
    name: 'Space Saver',
    description: 'MP3, AAC or Ogg Vorbis at 192–320 kbps; files under 15 MB preferred.',
    // m4a is how AAC is almost always shared.
    preferredFormats: ['mp3', 'm4a', 'aac', 'ogg'],
    minBitrate: 192,
    maxBitrate: 320,
    maxFileSizeMb: 15,
    isDefault: false,
    required: [...DEFAULT_RULES.required, 'format', 'bitrate'],
  },
  {
    ...DEFAULT_RULES,
    id: BUILT_IN_IDS.any,
    name: 'Any',
    description: 'Any audio format; the best quality on offer wins (lossless first).',
    isDefault: true,
    required: [...DEFAULT_RULES.required],
  },
];
