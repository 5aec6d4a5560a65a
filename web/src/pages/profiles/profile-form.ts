/**
 * The quality profile form's pure parts: its fields grouped by the condition they feed, a profile
 * as input texts and back, and the body to send, holding only what differs from the profile it
 * started from (PATCH keeps what is absent; a create copies its base with `copyOf`).
 */
import type { QualityProfile } from '../../types';

export type ProfileInput = 'text' | 'textarea' | 'bool' | 'number' | 'bound' | 'formats' | 'lines';

export interface ProfileField {
  key: keyof QualityProfile;
  label: string;
  input: ProfileInput;
}

export interface ConditionDef {
  /** The condition's name as `required` lists it (src/matching/quality-profile.ts). */
  name: string;
  label: string;
  fields: ProfileField[];
  /** formatOrder ranks only: it cannot be required. */
  requirable: boolean;
}

export const IDENTITY_FIELDS: readonly ProfileField[] = [
  { key: 'name', label: 'Name', input: 'text' },
  { key: 'description', label: 'Description', input: 'textarea' },
  { key: 'isDefault', label: 'The default profile', input: 'bool' },
  // Not a condition: where to search, in order (fallback across providers).
  {
    key: 'providers',
    label: 'Indexers to search, in order (one a line, e.g. slskd, torznab:jackett; empty = all)',
    input: 'lines',
  },
];

export const CONDITIONS: readonly ConditionDef[] = [
  {
    name: 'format',
    label: 'Format',
    requirable: true,
    fields: [
      {
        key: 'preferredFormats',
        label: 'Formats, in order of preference (flac, mp3…)',
        input: 'formats',
      },
    ],
  },
  {
    name: 'lossless',
    label: 'Lossless',
    requirable: true,
    fields: [
      { key: 'preferLossless', label: 'Prefer lossless', input: 'bool' },
      { key: 'allowLossy', label: 'Allow lossy files', input: 'bool' },
    ],
  },
  {
    name: 'bitrate',
    label: 'Bitrate (kbps, lossy files)',
    requirable: true,
    fields: [
      { key: 'minBitrate', label: 'Minimum', input: 'bound' },
      { key: 'maxBitrate', label: 'Maximum', input: 'bound' },
    ],
  },
  {
    name: 'sampleRate',
    label: 'Sample rate (Hz)',
    requirable: true,
    fields: [
      { key: 'minSampleRate', label: 'Minimum', input: 'bound' },
      { key: 'maxSampleRate', label: 'Maximum', input: 'bound' },
    ],
  },
  {
    name: 'bitDepth',
    label: 'Bit depth',
    requirable: true,
    fields: [
      { key: 'minBitDepth', label: 'Minimum', input: 'bound' },
      { key: 'maxBitDepth', label: 'Maximum', input: 'bound' },
    ],
  },
  {
    name: 'fileSize',
    label: 'File size (MB)',
    requirable: true,
    fields: [
      { key: 'minFileSizeMb', label: 'Minimum', input: 'bound' },
      { key: 'maxFileSizeMb', label: 'Maximum', input: 'bound' },
    ],
  },
  {
    name: 'duration',
    label: 'Duration',
    requirable: true,
    fields: [{ key: 'durationToleranceSeconds', label: 'Tolerance (s)', input: 'number' }],
  },
  {
    name: 'excludeKeywords',
    label: 'Excluded keywords',
    requirable: true,
    fields: [{ key: 'excludeKeywords', label: 'One a line', input: 'lines' }],
  },
  {
    name: 'excludeUsers',
    label: 'Excluded users',
    requirable: true,
    fields: [{ key: 'excludeUsers', label: 'One a line', input: 'lines' }],
  },
];

export const ALL_FIELDS: readonly ProfileField[] = [
  ...IDENTITY_FIELDS,
  ...CONDITIONS.flatMap((c) => c.fields),
];
/** The keys a 400 may name (plus `required`). */
export const PROFILE_KEYS: readonly string[] = [...ALL_FIELDS.map((f) => f.key), 'required'];

export type ProfileFormValues = Record<string, string | boolean | string[]>;

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The profile as the form's inputs hold it (`required` as the ticked names). */
export function profileToForm(p: QualityProfile): ProfileFormValues {
  const out: ProfileFormValues = { required: [...p.required] };
  for (const f of ALL_FIELDS) {
    const v = p[f.key];
    if (f.input === 'bool') out[f.key] = v === true;
    else if (f.input === 'formats') out[f.key] = (v as string[]).join(', ');
    else if (f.input === 'lines') out[f.key] = (v as string[]).join('\n');
    else out[f.key] = v === null || v === undefined ? '' : String(v);
  }
  return out;
}

function parse(
  f: ProfileField,
  raw: string | boolean | string[],
): { value: unknown } | { error: string } {
  const text = typeof raw === 'string' ? raw.trim() : '';
  switch (f.input) {
    case 'bool':
      return { value: raw === true };
    case 'formats':
      return {
        value: text
          .split(/[\s,]+/)
          .map((s) => s.replace(/^\./, '').toLowerCase())
          .filter((s) => s !== ''),
      };
    case 'lines':
      return { value: lines(typeof raw === 'string' ? raw : '') };
    case 'bound':
    case 'number': {
      if (text === '') return f.input === 'bound' ? { value: null } : { error: 'required' };
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0) return { error: 'must be a number of 0 or more' };
      return { value: n };
    }
    case 'text':
      return { value: text };
    default:
      return { value: typeof raw === 'string' ? raw : '' };
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The fields whose value differs from `base`, typed as the API takes them, and the fields whose
 * text is not a value. `required` is compared as a set.
 */
export function profileChanges(
  base: QualityProfile,
  form: ProfileFormValues,
): { body: Record<string, unknown>; errors: Record<string, string> } {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of ALL_FIELDS) {
    const raw = form[f.key];
    if (raw === undefined) continue;
    const parsed = parse(f, raw);
    if ('error' in parsed) errors[f.key] = parsed.error;
    else if (!same(parsed.value, base[f.key])) body[f.key] = parsed.value;
  }
  const required = Array.isArray(form['required']) ? form['required'] : [];
  if (!same([...required].sort(), [...base.required].sort())) body['required'] = [...required];
  return { body, errors };
}
