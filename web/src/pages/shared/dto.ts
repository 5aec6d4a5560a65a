/**
 * The API's JSON shapes these pages read, copied by hand from the server's TypeBox schemas
 * (src/blocklist/blocklist.dto.ts, src/quality-profiles/quality-profiles.dto.ts,
 * src/settings/settings.definitions.ts, src/naming/naming-preview.ts,
 * src/notifications/notifications.dto.ts, src/stats/stats.dto.ts, src/http/schemas.ts HealthBody).
 * When a schema changes, change it here too.
 */

export interface BlocklistEntry {
  id: string;
  username: string;
  filename: string | null;
  reason: string | null;
  source: 'auto' | 'manual';
  failureCount: number;
  createdAt: string;
  expiresAt: string | null;
}

export interface QualityRules {
  preferredFormats: string[];
  minBitrate: number | null;
  maxBitrate: number | null;
  minSampleRate: number | null;
  maxSampleRate: number | null;
  minBitDepth: number | null;
  maxBitDepth: number | null;
  minFileSizeMb: number | null;
  maxFileSizeMb: number | null;
  durationToleranceSeconds: number;
  excludeKeywords: string[];
  excludeUsers: string[];
  preferLossless: boolean;
  allowLossy: boolean;
  required: string[];
}

export interface QualityProfile extends QualityRules {
  id: string;
  name: string;
  description: string;
  isDefault: boolean;
  builtIn: boolean;
}

export type SettingValue = number | string | boolean | number[] | string[] | TimeWindow[];
export interface TimeWindow {
  days: string;
  from: string;
  to: string;
}
export type SettingsDto = Record<string, SettingValue>;

export interface NamingPreview {
  path: string;
  segments: string[];
  multiDisc: boolean;
  pattern: string;
  examples: { standard: string; multiDisc: string };
}

export const TARGET_TYPES = ['webhook', 'discord', 'slack', 'ntfy', 'gotify'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export const NOTIFICATION_EVENTS = [
  'download.completed',
  'download.failed',
  'album.completed',
  'batch.completed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
] as const;

export interface Target {
  id: string;
  name: string;
  type: TargetType;
  url: string;
  topic: string | null;
  clickUrl: string | null;
  events: string[];
  enabled: boolean;
  hasSecret: boolean;
  hasToken: boolean;
  /** Why SoulSpot switched it off (410 Gone); enabling it clears this. */
  disabledReason: string | null;
  /** No delivery before this (its Retry-After). */
  retryAfterUntil: string | null;
  /** Only in the answer that generated it. */
  secret?: string;
}

export interface Delivery {
  id: string;
  at: string;
  event: string;
  messageId: string;
  count: number;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'dead' | 'test';
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface TestResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export const STATS_PERIODS = ['day', 'week', 'month', 'all'] as const;
export type StatsPeriod = (typeof STATS_PERIODS)[number];

export interface StatsGroup {
  name: string;
  downloads: number;
  completed: number;
  failed: number;
  cancelled: number;
  bytes: number;
  successRate: number | null;
  meanSpeed: number | null;
}

export interface StatsDay {
  date: string;
  downloads: number;
  completed: number;
  failed: number;
  cancelled: number;
  bytes: number;
}

export interface Stats {
  period: { from: string | null; to: string | null; timeZone: 'UTC' };
  totals: {
    downloads: number;
    completed: number;
    failed: number;
    cancelled: number;
    bytes: number;
    successRate: number | null;
    meanDownloadSeconds: number | null;
    meanSizeBytes: number | null;
    meanSpeed: number | null;
  };
  byStatus: { completed: number; failed: number; cancelled: number };
  queue: Record<string, number>;
  byFormat: StatsGroup[];
  byProvider: StatsGroup[];
  bySource: StatsGroup[];
  failureReasons: { code: string; count: number }[];
  topArtists: StatsGroup[];
  history: StatsDay[];
  speedHistory: { at: string; bytesPerSecond: number }[];
}

export type CheckStatus = 'ok' | 'warning' | 'error';
export interface Health {
  status: 'ok' | 'degraded';
  providers: Record<
    string,
    {
      state: 'up' | 'down' | 'unknown';
      circuit?: 'closed' | 'open' | 'half-open';
      version?: string;
      message?: string;
      checkedAt: string | null;
    }
  >;
  queue: Record<string, number>;
  transcode: { available: boolean; message: string };
  checks: { name: string; status: CheckStatus; message: string }[];
}
