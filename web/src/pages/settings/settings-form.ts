/**
 * The Settings form's pure parts: which group and input each setting gets, turning a value into
 * the text an input shows and back (with a message when the text is not a value), what changed,
 * and which field an API 400 names. No DOM, no fetch: tested on tables of cases.
 */
import {
  NOTIFICATION_EVENTS,
  type SettingValue,
  type SettingsDto,
  type TimeWindow,
} from '../../types';

export type InputKind =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; step?: string }
  | { kind: 'bool' }
  | { kind: 'text' }
  | { kind: 'pattern' }
  | { kind: 'enum'; options: readonly string[] }
  | { kind: 'numberList' }
  | { kind: 'textList' }
  | { kind: 'events' }
  | { kind: 'windows' }
  /** A setting this build does not know yet: edited as JSON. */
  | { kind: 'json' };

export interface FieldDef {
  key: string;
  label: string;
  input: InputKind;
  unit?: string;
}

export interface GroupDef {
  id: string;
  title: string;
  fields: FieldDef[];
}

const int = (min: number, max: number): InputKind => ({ kind: 'int', min, max });
const num = (min: number, max: number): InputKind => ({ kind: 'number', min, max, step: 'any' });

/** The groups in the order the page shows them; the ranges mirror settings.definitions.ts. */
export const GROUPS: readonly GroupDef[] = [
  {
    id: 'limits',
    title: 'Limits',
    fields: [
      { key: 'maxConcurrent', label: 'Downloads at once', input: int(1, 10_000) },
      { key: 'maxConcurrentFiling', label: 'Filing at once', input: int(1, 1000) },
      { key: 'maxQueuedAtSource', label: 'Queued at sources', input: int(0, 100_000) },
      { key: 'maxConcurrentPerUser', label: 'Transfers per source user', input: int(1, 1000) },
      { key: 'maxQueueSize', label: 'Queue size (0 = no limit)', input: int(0, 10_000_000) },
      { key: 'queuePaused', label: 'Queue paused', input: { kind: 'bool' } },
    ],
  },
  {
    id: 'retries',
    title: 'Retries and blocking',
    fields: [
      { key: 'maxRetries', label: 'Automatic retries', input: int(0, 100) },
      {
        key: 'retryBackoffSeconds',
        label: 'Backoff before retry 1, 2, 3…',
        input: { kind: 'numberList' },
        unit: 's',
      },
      { key: 'blocklistFailures', label: 'Failures that block a peer', input: int(1, 1000) },
      { key: 'blocklistWindowHours', label: 'Failure window', input: num(0.001, 8760), unit: 'h' },
      {
        key: 'blocklistDays',
        label: 'Automatic block lasts',
        input: num(0.0001, 3650),
        unit: 'days',
      },
    ],
  },
  {
    id: 'timeouts',
    title: 'Stall and search timeouts',
    fields: [
      { key: 'stallTimeoutSeconds', label: 'Stall timeout', input: int(1, 604_800), unit: 's' },
      { key: 'searchTimeoutSeconds', label: 'Search timeout', input: int(1, 600), unit: 's' },
    ],
  },
  {
    id: 'post-processing',
    title: 'Post-processing',
    fields: [
      { key: 'tagFiles', label: 'Write tags', input: { kind: 'bool' } },
      { key: 'embedCover', label: 'Embed the cover', input: { kind: 'bool' } },
      { key: 'writeFolderCover', label: 'Save cover.jpg in the folder', input: { kind: 'bool' } },
      {
        key: 'transcodeAction',
        label: 'A suspected transcode',
        input: { kind: 'enum', options: ['reject', 'warn'] },
      },
    ],
  },
  {
    id: 'windows',
    title: 'Time windows',
    fields: [
      { key: 'timeZone', label: 'Time zone', input: { kind: 'text' } },
      {
        key: 'timeWindows',
        label: 'Windows, one per line ("mon-fri 01:00-07:00"); empty = any time',
        input: { kind: 'windows' },
      },
    ],
  },
  {
    id: 'naming',
    title: 'Naming patterns',
    fields: [
      { key: 'namingPattern', label: 'Track path', input: { kind: 'pattern' } },
      { key: 'multiDiscNamingPattern', label: 'Multi-disc track path', input: { kind: 'pattern' } },
    ],
  },
  {
    id: 'notifications',
    title: 'Notifications and disk',
    fields: [
      { key: 'toastEvents', label: 'Events shown as toasts', input: { kind: 'events' } },
      {
        key: 'notificationGroupSeconds',
        label: 'Group events within',
        input: num(0, 3600),
        unit: 's',
      },
      {
        key: 'diskLowMb',
        label: 'Warn when free space is below',
        input: int(0, 100_000_000),
        unit: 'MB',
      },
      { key: 'backupRetention', label: 'Backups kept', input: int(1, 1000) },
    ],
  },
  {
    id: 'network',
    title: 'Network',
    fields: [
      {
        key: 'allowedPrivateTargets',
        label: 'Private notification targets allowed, one per line',
        input: { kind: 'textList' },
      },
      {
        key: 'fetchAllowedRanges',
        label: 'Private ranges URLs may be fetched from (CIDR), one per line',
        input: { kind: 'textList' },
      },
    ],
  },
];

const KNOWN = new Set(GROUPS.flatMap((g) => g.fields.map((f) => f.key)));

/** The groups for the settings the server sent: known ones in place, new ones under "Other". */
export function groupSettings(settings: SettingsDto): GroupDef[] {
  const present = (f: FieldDef) => Object.hasOwn(settings, f.key);
  const groups = GROUPS.map((g) => ({ ...g, fields: g.fields.filter(present) })).filter(
    (g) => g.fields.length > 0,
  );
  const other = Object.keys(settings)
    .filter((k) => !KNOWN.has(k))
    .map((key): FieldDef => ({ key, label: key, input: { kind: 'json' } }));
  if (other.length > 0) groups.push({ id: 'other', title: 'Other', fields: other });
  return groups;
}

/** What an input holds: text for most kinds, a flag for a checkbox, a set for the events. */
export type InputValue = string | boolean | string[];

const formatWindow = (w: TimeWindow) => `${w.days} ${w.from}-${w.to}`;

export function toInput(input: InputKind, value: SettingValue | undefined): InputValue {
  switch (input.kind) {
    case 'bool':
      return value === true;
    case 'events':
      return Array.isArray(value) ? (value as string[]).map(String) : [];
    case 'numberList':
      return Array.isArray(value) ? (value as number[]).join(', ') : '';
    case 'textList':
      return Array.isArray(value) ? (value as string[]).join('\n') : '';
    case 'windows':
      return Array.isArray(value) ? (value as TimeWindow[]).map(formatWindow).join('\n') : '';
    case 'json':
      return JSON.stringify(value ?? null);
    default:
      return value === undefined || value === null ? '' : String(value);
  }
}

export type Parsed = { ok: true; value: SettingValue } | { ok: false; error: string };

const WINDOW_LINE = /^(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/;
const pad = (t: string) => (t.length === 4 ? `0${t}` : t);
const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The input's text back to a value, or the reason it is not one (range checks included). */
export function fromInput(input: InputKind, raw: InputValue): Parsed {
  switch (input.kind) {
    case 'bool':
      return { ok: true, value: raw === true };
    case 'events':
      return { ok: true, value: Array.isArray(raw) ? [...raw] : [] };
    case 'numberList': {
      const parts = String(raw)
        .split(/[\s,]+/)
        .filter((p) => p !== '');
      if (parts.length === 0) return { ok: false, error: 'give at least one number' };
      const values = parts.map(Number);
      const bad = parts.find((_, i) => !Number.isFinite(values[i]) || (values[i] ?? 0) < 0);
      if (bad !== undefined) return { ok: false, error: `"${bad}" is not a number of seconds` };
      return { ok: true, value: values };
    }
    case 'textList':
      return { ok: true, value: lines(String(raw)) };
    case 'windows': {
      const out: TimeWindow[] = [];
      for (const line of lines(String(raw))) {
        const m = WINDOW_LINE.exec(line);
        if (!m) return { ok: false, error: `"${line}" is not "days HH:MM-HH:MM"` };
        out.push({ days: m[1] ?? '', from: pad(m[2] ?? ''), to: pad(m[3] ?? '') });
      }
      return { ok: true, value: out };
    }
    case 'int':
    case 'number': {
      const text = String(raw).trim();
      if (text === '') return { ok: false, error: 'required' };
      const n = Number(text);
      if (!Number.isFinite(n)) return { ok: false, error: 'must be a number' };
      if (input.kind === 'int' && !Number.isInteger(n))
        return { ok: false, error: 'must be a whole number' };
      if (input.min !== undefined && n < input.min)
        return { ok: false, error: `must be at least ${input.min}` };
      if (input.max !== undefined && n > input.max)
        return { ok: false, error: `must be at most ${input.max}` };
      return { ok: true, value: n };
    }
    case 'enum': {
      const text = String(raw);
      return input.options.includes(text)
        ? { ok: true, value: text }
        : { ok: false, error: `must be one of ${input.options.join(', ')}` };
    }
    case 'json':
      try {
        return { ok: true, value: JSON.parse(String(raw)) as SettingValue };
      } catch {
        return { ok: false, error: 'must be JSON' };
      }
    default: {
      const text = String(raw).trim();
      if (text === '') return { ok: false, error: 'required' };
      return { ok: true, value: text };
    }
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface Patch {
  patch: Record<string, SettingValue>;
  errors: Record<string, string>;
}

/**
 * The PATCH body from the form: only the settings whose value changed, and the fields whose text
 * is not a value (then nothing is sent). Unknown order of events does not count as a change.
 */
export function buildPatch(
  groups: readonly GroupDef[],
  saved: SettingsDto,
  inputs: Readonly<Record<string, InputValue>>,
): Patch {
  const patch: Record<string, SettingValue> = {};
  const errors: Record<string, string> = {};
  for (const field of groups.flatMap((g) => g.fields)) {
    const raw = inputs[field.key];
    if (raw === undefined) continue;
    const parsed = fromInput(field.input, raw);
    if (!parsed.ok) {
      errors[field.key] = parsed.error;
      continue;
    }
    const before = saved[field.key];
    const comparable = (v: unknown) =>
      field.input.kind === 'events' && Array.isArray(v) ? [...(v as string[])].sort() : v;
    if (!same(comparable(parsed.value), comparable(before))) patch[field.key] = parsed.value;
  }
  return { patch, errors };
}

/**
 * The setting an API 400 names: messages look like "body/maxConcurrent must be >= 1" or
 * "body/timeWindows/0/from …". Returns the key (when it is one of `keys`) and the rest.
 */
export function errorField(
  message: string,
  keys: readonly string[],
): { key: string; message: string } | null {
  const m = /^body\/([A-Za-z0-9_]+)(.*)$/s.exec(message);
  if (!m || !m[1] || !keys.includes(m[1])) return null;
  // The rest may name a related field the same way ("… is above body/maxBitrate 128").
  const rest = (m[2] ?? '').trim().replace(/\bbody\//g, '');
  return { key: m[1], message: rest === '' ? 'is invalid' : rest };
}

/** Every event the toast setting can name (for its checkboxes). */
export const EVENT_OPTIONS: readonly string[] = NOTIFICATION_EVENTS;
