// Wire-format helpers: slskd is a .NET app, so its dates, time spans and JSON follow System.Text.Json
// rules that a JavaScript server does not produce by default. Everything here is pure.
import { randomUUID } from 'node:crypto';

export const newGuid = (): string => randomUUID();

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isGuid = (value: unknown): value is string =>
  typeof value === 'string' && GUID.test(value);

/**
 * Wall-clock time in ms with sub-millisecond digits. .NET timestamps carry 100 ns ticks (7 fractional
 * digits), and clients must cope with that precision, so the emulator keeps it too.
 */
export const now = (): number => performance.timeOrigin + performance.now();

/**
 * ISO-8601 the way System.Text.Json writes a UTC DateTime: up to 7 fractional digits with trailing zeros
 * trimmed. `withZone: false` reproduces the EF-read fields (`requestedAt`, `enqueuedAt`) that lack the `Z`.
 */
export function isoDate(ms: number, withZone = true): string {
  const whole = Math.floor(ms);
  const subTicks = Math.min(9999, Math.floor((ms - whole) * 10_000));
  const base = new Date(whole).toISOString(); // 2025-01-01T12:00:00.123Z
  const fraction = (base.slice(20, 23) + String(subTicks).padStart(4, '0')).replace(/0+$/, '');
  return base.slice(0, 19) + (fraction ? `.${fraction}` : '') + (withZone ? 'Z' : '');
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** .NET TimeSpan "c" format: `[-][d.]hh:mm:ss[.fffffff]`, the fraction always 7 digits when present. */
export function timeSpan(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  let ticks = Math.round(Math.abs(ms) * 10_000);
  const perSecond = 10_000_000;
  const fraction = ticks % perSecond;
  ticks = (ticks - fraction) / perSecond;
  const seconds = ticks % 60;
  const minutes = Math.floor(ticks / 60) % 60;
  const hours = Math.floor(ticks / 3600) % 24;
  const days = Math.floor(ticks / 86_400);
  return (
    sign +
    (days ? `${days}.` : '') +
    `${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}` +
    (fraction ? `.${String(fraction).padStart(7, '0')}` : '')
  );
}

/** .NET `DateTime.UtcNow.Ticks`, used by slskd's `Name_<ticks>.ext` rename on a clash. */
export const netTicks = (ms: number): string =>
  (BigInt(Math.floor(ms * 10_000)) + 621_355_968_000_000_000n).toString();

/** System.Text.Json with `WhenWritingNull`: null and undefined properties are left out. */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (v === null ? undefined : v));

/** Looks a property up case-insensitively, as ASP.NET model binding does. */
export function field(body: unknown, name: string): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(body)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

export type Version = [number, number, number];

export function parseVersion(text: string): Version {
  const parts = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!parts) throw new Error(`Unparseable slskd version "${text}" (expected e.g. 0.26.0)`);
  return [Number(parts[1]), Number(parts[2]), Number(parts[3] ?? 0)];
}

const atLeast = (v: Version, min: Version): boolean => {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return (v[i] ?? 0) > (min[i] ?? 0);
  return true;
};

/** What differs between slskd versions (table in slskd-api.md §0), derived once from the version. */
export interface Features {
  batches: boolean;
  removedField: boolean;
  attemptsField: boolean;
  startOffsetField: boolean;
  stateDescriptionField: boolean;
  /** ≥0.24: legacy enqueue answers `{enqueued, failed}`; before, an empty 201. */
  legacyEnqueueBody: boolean;
  /** 0.26 retries errored downloads and resumes partial files. */
  retries: boolean;
  /** 0.26 writes partial files under `<incomplete>/<username>/<remote dir path>`. */
  incompleteByUser: boolean;
  /** ≤0.24.1: `remove=true` on an active download is a 500. */
  removeActiveThrows: boolean;
}

export function versionFeatures(text: string): Features {
  const v = parseVersion(text);
  const v26 = atLeast(v, [0, 26, 0]);
  return {
    batches: v26,
    removedField: v26,
    attemptsField: atLeast(v, [0, 25, 0]),
    startOffsetField: !v26,
    stateDescriptionField: !v26 && atLeast(v, [0, 23, 0]),
    legacyEnqueueBody: atLeast(v, [0, 24, 0]),
    retries: v26,
    incompleteByUser: v26,
    removeActiveThrows: !atLeast(v, [0, 24, 2]),
  };
}

/**
 * An error answer: with a message it is sent as a JSON string literal (controllers are
 * `[Produces("application/json")]`); without one the body is empty, like a bare `NotFound()`.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly text?: string,
  ) {
    super(text ?? `HTTP ${status}`);
  }
}
