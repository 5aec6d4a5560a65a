import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  DEFAULT_MULTI_DISC_NAMING_PATTERN,
  DEFAULT_NAMING_PATTERN,
  namingPatternProblem,
} from '../library/naming-pattern.js';
import { isTimeZone } from '../queue/time-windows.js';
import { redactUrlCredentials } from '../log/redact.js';
import { allowedTargetProblem } from '../net/address-policy.js';
import { apiKeyProblem, resolveApiKey, resolveMetricsKey } from './api-key.js';
import { ConfigError } from './config-error.js';

export { ConfigError } from './config-error.js';

/** Every setting SoulSpot reads, after validation. Names mirror the SOULSPOT_* variables. */
export interface Config {
  host: string;
  port: number;
  /**
   * Behind a reverse proxy (SOULSPOT_TRUST_PROXY): the client's address, scheme and host come from
   * its X-Forwarded-* headers, so HTTPS there gives Secure cookies and a matching Origin check.
   */
  trustProxy: boolean;
  dataDir: string;
  /** postgres://… switches storage to PostgreSQL; null means SQLite in dataDir. */
  databaseUrl: string | null;
  apiKey: string;
  /** True when the key was generated on this start (the only start that prints it). */
  apiKeyGenerated: boolean;
  /** Where the key is stored (data dir); null when SOULSPOT_API_KEY set it. */
  apiKeyFile: string | null;
  /** A second key `/metrics` accepts (SOULSPOT_METRICS_KEY or `<data dir>/metrics-key`); null: the API key only. */
  metricsKey: string | null;
  /** Backups kept in `<data dir>/backups` (setting `backupRetention`). */
  backupRetention: number;
  libraryDir: string;
  slskdUrl: string;
  slskdApiKey: string | undefined;
  slskdDownloadsDir: string | undefined;
  /**
   * Torznab/Newznab indexers and the download clients that fetch their releases (JSON lists in
   * `SOULSPOT_INDEXERS` and `SOULSPOT_DOWNLOAD_CLIENTS`; src/providers/configured.ts checks each
   * entry against its adapter's schema). Empty: slskd alone, as before.
   */
  indexers: unknown[];
  downloadClients: unknown[];
  /** The ffmpeg binary the transcode check decodes with (a name on PATH or a path). */
  ffmpegPath: string;
  maxConcurrent: number;
  /** Downloads filing at once (verify, transcode check, tags, cover, move): their own slots. */
  maxConcurrentFiling: number;
  /** Downloads waiting for a filing slot at which no new transfer starts; 0 = no cap. */
  maxFilingBacklog: number;
  maxConcurrentPerUser: number;
  /** Downloads waiting in a source's queue at once (they hold no transfer slot). */
  maxQueuedAtSource: number;
  /** Unfinished downloads accepted at most; 0 = no limit. */
  maxQueueSize: number;
  /** IANA zone of time windows and schedules; the system's when not set. */
  timeZone: string;
  maxRetries: number;
  retryBackoffSeconds: number[];
  searchTimeoutSeconds: number;
  stallTimeoutSeconds: number;
  pollIntervalMs: number;
  /** Queue lease length; a crashed worker's downloads are taken over after at most this long. */
  leaseMs: number;
  /** Filing stops with disk_full rather than leave less than this free in the library. */
  minFreeBytes: number;
  /** How often downloads failed by a full disk or permissions are checked for a retry. */
  diskCheckIntervalMs: number;
  blocklistFailures: number;
  blocklistWindowMs: number;
  blocklistMs: number;
  /** Consecutive daemon-down failures that open the circuit. */
  circuitThreshold: number;
  circuitHalfOpenMs: number;
  /** Library layout (setting `namingPattern`): Lidarr-style tokens, "/" between folders. */
  namingPattern: string;
  /** The layout for a disc of a multi-disc release (setting `multiDiscNamingPattern`). */
  multiDiscNamingPattern: string;
  /** A lossless file that looks transcoded is rejected or kept with a flag (setting `transcodeAction`). */
  transcodeAction: 'reject' | 'warn';
  logLevel: string;
  /** Starting values of the post-processing settings (tagFiles, embedCover, writeFolderCover). */
  tagFiles: boolean;
  embedCover: boolean;
  writeFolderCover: boolean;
  /** Starting value of the `allowedPrivateTargets` setting: host[:port] or CIDR entries. */
  allowedPrivateTargets: string[];
  /** Starting value of `notificationGroupSeconds`. */
  notificationGroupSeconds: number;
  /** Lidarr for the wanted-list sync (SOULSPOT_LIDARR_URL; setting `lidarrUrl`); null: not set. */
  lidarrUrl: string | null;
  /** Its API key (SOULSPOT_LIDARR_API_KEY; setting `lidarrApiKey`, write-only); redacted in logs. */
  lidarrApiKey: string | null;
}

type Source = Record<string, string | undefined>;

/** The variables and their defaults, in one table so README and code cannot drift apart silently. */
export const CONFIG_DEFAULTS = {
  SOULSPOT_HOST: '127.0.0.1',
  SOULSPOT_PORT: '8765',
  SOULSPOT_TRUST_PROXY: 'false',
  SOULSPOT_DATA_DIR: './data',
  SOULSPOT_LIBRARY_DIR: './library',
  SOULSPOT_SLSKD_URL: 'http://127.0.0.1:5030',
  SOULSPOT_MAX_CONCURRENT: '3',
  SOULSPOT_MAX_CONCURRENT_FILING: '2',
  SOULSPOT_MAX_FILING_BACKLOG: '20',
  SOULSPOT_MAX_CONCURRENT_PER_USER: '1',
  SOULSPOT_MAX_QUEUED_AT_SOURCE: '50',
  SOULSPOT_MAX_QUEUE_SIZE: '100000',
  SOULSPOT_MAX_RETRIES: '3',
  SOULSPOT_RETRY_BACKOFF_SECONDS: '60,300,900',
  SOULSPOT_SEARCH_TIMEOUT_SECONDS: '15',
  SOULSPOT_STALL_TIMEOUT_SECONDS: '600',
  SOULSPOT_POLL_INTERVAL_MS: '2000',
  SOULSPOT_LEASE_SECONDS: '30',
  SOULSPOT_MIN_FREE_MB: '100',
  SOULSPOT_DISK_CHECK_SECONDS: '30',
  SOULSPOT_BLOCKLIST_FAILURES: '3',
  SOULSPOT_BLOCKLIST_WINDOW_HOURS: '24',
  SOULSPOT_BLOCKLIST_DAYS: '7',
  SOULSPOT_CIRCUIT_FAILURES: '5',
  SOULSPOT_CIRCUIT_HALF_OPEN_SECONDS: '10',
  SOULSPOT_NAMING_PATTERN: DEFAULT_NAMING_PATTERN,
  SOULSPOT_MULTI_DISC_NAMING_PATTERN: DEFAULT_MULTI_DISC_NAMING_PATTERN,
  SOULSPOT_TRANSCODE_ACTION: 'reject',
  SOULSPOT_LOG_LEVEL: 'info',
  SOULSPOT_FFMPEG_PATH: 'ffmpeg',
  SOULSPOT_TAG_FILES: 'true',
  SOULSPOT_EMBED_COVER: 'true',
  SOULSPOT_WRITE_FOLDER_COVER: 'true',
  SOULSPOT_ALLOWED_PRIVATE_TARGETS: '',
  SOULSPOT_NOTIFICATION_GROUP_SECONDS: '2',
  SOULSPOT_BACKUP_RETENTION: '7',
} as const;

/**
 * Reads a YAML/JSON config file whose keys are the variable names (SOULSPOT_PORT: 9000) or their
 * short camelCase forms (port: 9000). Environment variables win over the file.
 */
function readConfigFile(file: string): Source {
  const text = readFileSync(file, 'utf8');
  const parsed: unknown = parseYaml(text);
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`${file}: expected a mapping of settings`]);
  }
  const out: Source = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    const name = key.startsWith('SOULSPOT_')
      ? key
      : `SOULSPOT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
    out[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return out;
}

export function loadConfig(env: Source = process.env): Config {
  const fileName = env.SOULSPOT_CONFIG_FILE;
  if (fileName && !existsSync(fileName)) {
    throw new ConfigError([`SOULSPOT_CONFIG_FILE: ${fileName} does not exist`]);
  }
  const fromFile = fileName ? readConfigFile(fileName) : {};
  const merged: Source = { ...CONFIG_DEFAULTS, ...fromFile };
  for (const [k, v] of Object.entries(env))
    if (k.startsWith('SOULSPOT_') && v !== '') merged[k] = v;
  return parseConfig(merged);
}

function parseConfig(src: Source): Config {
  const problems: string[] = [];
  const str = (name: string): string => src[name] ?? '';
  const int = (name: string, min: number, max: number): number => {
    const raw = str(name).trim();
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return min;
    }
    return value;
  };
  const num = (name: string, min: number, max: number): number => {
    const raw = str(name).trim();
    const value = Number(raw);
    if (raw === '' || !Number.isFinite(value) || value < min || value > max) {
      problems.push(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
      return min;
    }
    return value;
  };
  const bool = (name: string): boolean => {
    const raw = str(name).trim().toLowerCase();
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return true;
  };
  const url = (name: string, protocols: string[]): string => {
    const raw = str(name);
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) throw new Error('protocol');
      return raw.replace(/\/+$/, '');
    } catch {
      // The message goes to the terminal and to logs: never with the URL's user and password.
      problems.push(
        `${name} must be a ${protocols.join(' or ')} URL (got "${redactUrlCredentials(raw)}")`,
      );
      return raw;
    }
  };

  const pattern = (name: string): string => {
    const value = str(name);
    const problem = namingPatternProblem(value);
    if (problem !== null) problems.push(`${name} ${problem} (got "${value}")`);
    return value;
  };

  const oneOf = <T extends string>(name: string, values: readonly T[]): T => {
    const raw = str(name).trim().toLowerCase();
    if ((values as readonly string[]).includes(raw)) return raw as T;
    problems.push(`${name} must be one of ${values.join(', ')} (got "${str(name)}")`);
    return values[0] as T;
  };

  const backoff = str('SOULSPOT_RETRY_BACKOFF_SECONDS')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const backoffSeconds = backoff.map(Number);
  if (backoffSeconds.length === 0 || backoffSeconds.some((n) => !Number.isFinite(n) || n < 0)) {
    problems.push(
      `SOULSPOT_RETRY_BACKOFF_SECONDS must be a comma-separated list of seconds, e.g. "60,300,900" (got "${str('SOULSPOT_RETRY_BACKOFF_SECONDS')}")`,
    );
  }
  const allowedPrivateTargets = str('SOULSPOT_ALLOWED_PRIVATE_TARGETS')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of allowedPrivateTargets) {
    const problem = allowedTargetProblem(entry);
    if (problem !== null) problems.push(`SOULSPOT_ALLOWED_PRIVATE_TARGETS: ${problem}`);
  }
  const databaseUrl = src.SOULSPOT_DATABASE_URL
    ? url('SOULSPOT_DATABASE_URL', ['postgres:', 'postgresql:'])
    : null;
  const apiKey = src.SOULSPOT_API_KEY;
  const apiKeyIssue = apiKey === undefined ? null : apiKeyProblem(apiKey.trim());
  if (apiKeyIssue !== null) problems.push(`SOULSPOT_API_KEY: ${apiKeyIssue}`);
  const jsonList = (name: string): unknown[] => {
    const text = src[name];
    if (text === undefined || text.trim() === '') return [];
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed;
      problems.push(`${name}: expected a JSON list`);
    } catch {
      // Not the parser's message: it quotes the text, which holds passwords and API keys.
      problems.push(`${name}: not valid JSON`);
    }
    return [];
  };
  const config = {
    host: str('SOULSPOT_HOST'),
    port: int('SOULSPOT_PORT', 0, 65535),
    trustProxy: bool('SOULSPOT_TRUST_PROXY'),
    dataDir: path.resolve(str('SOULSPOT_DATA_DIR')),
    databaseUrl,
    libraryDir: path.resolve(str('SOULSPOT_LIBRARY_DIR')),
    slskdUrl: url('SOULSPOT_SLSKD_URL', ['http:', 'https:']),
    slskdApiKey: src.SOULSPOT_SLSKD_API_KEY || undefined,
    slskdDownloadsDir: src.SOULSPOT_SLSKD_DOWNLOADS_DIR
      ? path.resolve(src.SOULSPOT_SLSKD_DOWNLOADS_DIR)
      : undefined,
    indexers: jsonList('SOULSPOT_INDEXERS'),
    downloadClients: jsonList('SOULSPOT_DOWNLOAD_CLIENTS'),
    ffmpegPath: str('SOULSPOT_FFMPEG_PATH'),
    maxConcurrent: int('SOULSPOT_MAX_CONCURRENT', 1, 10_000),
    maxConcurrentFiling: int('SOULSPOT_MAX_CONCURRENT_FILING', 1, 1_000),
    maxFilingBacklog: int('SOULSPOT_MAX_FILING_BACKLOG', 0, 100_000),
    maxConcurrentPerUser: int('SOULSPOT_MAX_CONCURRENT_PER_USER', 1, 1_000),
    maxQueuedAtSource: int('SOULSPOT_MAX_QUEUED_AT_SOURCE', 0, 100_000),
    maxQueueSize: int('SOULSPOT_MAX_QUEUE_SIZE', 0, 10_000_000),
    timeZone: src.SOULSPOT_TIME_ZONE || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
    maxRetries: int('SOULSPOT_MAX_RETRIES', 0, 100),
    retryBackoffSeconds: backoffSeconds,
    searchTimeoutSeconds: int('SOULSPOT_SEARCH_TIMEOUT_SECONDS', 1, 600),
    stallTimeoutSeconds: int('SOULSPOT_STALL_TIMEOUT_SECONDS', 1, 7 * 24 * 3600),
    pollIntervalMs: int('SOULSPOT_POLL_INTERVAL_MS', 50, 600_000),
    leaseMs: int('SOULSPOT_LEASE_SECONDS', 1, 3600) * 1000,
    minFreeBytes: int('SOULSPOT_MIN_FREE_MB', 0, 10_000_000) * 1_048_576,
    diskCheckIntervalMs: num('SOULSPOT_DISK_CHECK_SECONDS', 0.05, 86_400) * 1000,
    blocklistFailures: int('SOULSPOT_BLOCKLIST_FAILURES', 1, 1000),
    blocklistWindowMs: num('SOULSPOT_BLOCKLIST_WINDOW_HOURS', 0.001, 24 * 365) * 3_600_000,
    blocklistMs: num('SOULSPOT_BLOCKLIST_DAYS', 0.0001, 3650) * 86_400_000,
    circuitThreshold: int('SOULSPOT_CIRCUIT_FAILURES', 1, 1000),
    circuitHalfOpenMs: num('SOULSPOT_CIRCUIT_HALF_OPEN_SECONDS', 0.05, 3600) * 1000,
    namingPattern: pattern('SOULSPOT_NAMING_PATTERN'),
    multiDiscNamingPattern: pattern('SOULSPOT_MULTI_DISC_NAMING_PATTERN'),
    transcodeAction: oneOf('SOULSPOT_TRANSCODE_ACTION', ['reject', 'warn'] as const),
    logLevel: str('SOULSPOT_LOG_LEVEL'),
    tagFiles: bool('SOULSPOT_TAG_FILES'),
    embedCover: bool('SOULSPOT_EMBED_COVER'),
    writeFolderCover: bool('SOULSPOT_WRITE_FOLDER_COVER'),
    allowedPrivateTargets,
    notificationGroupSeconds: num('SOULSPOT_NOTIFICATION_GROUP_SECONDS', 0, 3600),
    backupRetention: int('SOULSPOT_BACKUP_RETENTION', 1, 1000),
    lidarrUrl: src.SOULSPOT_LIDARR_URL ? url('SOULSPOT_LIDARR_URL', ['http:', 'https:']) : null,
    lidarrApiKey: src.SOULSPOT_LIDARR_API_KEY?.trim() || null,
  };
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push(
      `SOULSPOT_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent`,
    );
  }
  if (!isTimeZone(config.timeZone)) {
    problems.push(`SOULSPOT_TIME_ZONE "${config.timeZone}" is not a known time zone`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const key = resolveApiKey(config.dataDir, apiKey);
  const metricsKey = resolveMetricsKey(config.dataDir, src.SOULSPOT_METRICS_KEY);
  return {
    ...config,
    apiKey: key.value,
    apiKeyGenerated: key.generated,
    apiKeyFile: key.file,
    metricsKey,
  };
}
