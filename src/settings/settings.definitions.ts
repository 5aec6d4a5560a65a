import { Type, type Static, type TSchema } from 'typebox';
import type { Config } from '../config/config.js';
import { Text } from '../http/schemas.js';
import { MAX_PATTERN_LENGTH, namingPatternProblem } from '../library/naming-pattern.js';
import { allowedTargetProblem, cidrProblem } from '../net/address-policy.js';
import { NOTIFICATION_EVENTS } from '../notifications/notification-events.js';
import { describeWindowProblem, isTimeZone, type TimeWindow } from '../queue/time-windows.js';

/**
 * Every setting that can change while SoulSpot runs, as one table: its schema (the API validates
 * with it, and so does every read of a stored value), what it means, and its default, which comes
 * from the environment (Config) so `SOULSPOT_*` variables keep working as the starting values.
 */
interface Definition<S extends TSchema> {
  schema: S;
  description: string;
  /** The value when nothing is stored: the environment's, else the built-in default. */
  fromConfig: (config: Config) => Static<S>;
  /**
   * Checks a schema cannot express (a time zone that exists, windows that parse), given the
   * settings the value would join. Returns the problem, or null.
   */
  refine?: (value: Static<S>, all: Readonly<Record<string, unknown>>) => string | null;
}

const define = <S extends TSchema>(d: Definition<S>): Definition<S> => d;

/**
 * Shows a write-only setting as this when set ("" when not); a PATCH that sends this value back
 * (a client saving the whole object it read) leaves the secret as it is.
 */
export const WRITE_ONLY_MASK = '********';

export const SETTING_DEFINITIONS = {
  maxConcurrent: define({
    schema: Type.Integer({ minimum: 1, maximum: 10_000 }),
    description:
      'Downloads searching, starting or following a transfer that moves bytes at once, across all processes (filing has its own limit)',
    fromConfig: (c) => c.maxConcurrent,
  }),
  maxConcurrentFiling: define({
    schema: Type.Integer({ minimum: 1, maximum: 1000 }),
    description:
      'Downloads whose bytes are in being filed at once (verify, transcode check, tags, cover, move), across all processes; a transfer slot is free as soon as the bytes are in',
    fromConfig: (c) => c.maxConcurrentFiling,
  }),
  maxFilingBacklog: define({
    schema: Type.Integer({ minimum: 0, maximum: 100_000 }),
    description:
      'Downloads whose bytes are in and that wait for a filing slot at which no new search or enqueue starts, across all processes (0 = no cap); filing and transfers already under way go on',
    fromConfig: (c) => c.maxFilingBacklog,
  }),
  maxQueuedAtSource: define({
    schema: Type.Integer({ minimum: 0, maximum: 100_000 }),
    description: "Downloads enqueued at a source and waiting in its queue (a peer's upload queue)",
    fromConfig: (c) => c.maxQueuedAtSource,
  }),
  maxConcurrentPerUser: define({
    schema: Type.Integer({ minimum: 1, maximum: 1000 }),
    description: 'Transfers at once from one source user, queued or moving',
    fromConfig: (c) => c.maxConcurrentPerUser,
  }),
  maxQueueSize: define({
    schema: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    description:
      'Unfinished downloads accepted at most (0 = no limit); a request beyond it gets 429',
    fromConfig: (c) => c.maxQueueSize,
  }),
  maxRetries: define({
    schema: Type.Integer({ minimum: 0, maximum: 100 }),
    description: 'Automatic new search rounds after every source of a round failed',
    fromConfig: (c) => c.maxRetries,
  }),
  retryBackoffSeconds: define({
    schema: Type.Array(Type.Number({ minimum: 0, maximum: 7 * 86_400 }), {
      minItems: 1,
      maxItems: 20,
    }),
    description: 'Wait before retry 1, 2, 3…; the last value repeats (±10% jitter)',
    fromConfig: (c) => c.retryBackoffSeconds,
  }),
  stallTimeoutSeconds: define({
    schema: Type.Integer({ minimum: 1, maximum: 7 * 86_400 }),
    description: 'A transfer without progress, or stuck in a remote queue, this long is given up',
    fromConfig: (c) => c.stallTimeoutSeconds,
  }),
  searchTimeoutSeconds: define({
    schema: Type.Integer({ minimum: 1, maximum: 600 }),
    description: 'Search inactivity timeout',
    fromConfig: (c) => c.searchTimeoutSeconds,
  }),
  blocklistFailures: define({
    schema: Type.Integer({ minimum: 1, maximum: 1000 }),
    description: 'Failures of one peer within the window that block it automatically',
    fromConfig: (c) => c.blocklistFailures,
  }),
  blocklistWindowHours: define({
    schema: Type.Number({ minimum: 0.001, maximum: 24 * 365 }),
    description: 'The window for those failures, in hours',
    fromConfig: (c) => c.blocklistWindowMs / 3_600_000,
  }),
  blocklistDays: define({
    schema: Type.Number({ minimum: 0.0001, maximum: 3650 }),
    description: 'How long an automatic block lasts, in days',
    fromConfig: (c) => c.blocklistMs / 86_400_000,
  }),
  queuePaused: define({
    schema: Type.Boolean(),
    description:
      'The whole queue is paused: nothing new starts and transfers are stopped (filing finishes); POST /api/queue/pause and /resume set it',
    fromConfig: () => false,
  }),
  timeZone: define({
    schema: Text({ minLength: 1, maxLength: 64 }),
    description: 'IANA time zone of the time windows and schedules, e.g. "Europe/Berlin"',
    fromConfig: (c) => c.timeZone,
    refine: (value) => (isTimeZone(value) ? null : `"${value}" is not a known time zone`),
  }),
  timeWindows: define({
    schema: Type.Array(
      Type.Object(
        {
          days: Text({ minLength: 1, maxLength: 40 }),
          from: Text({ minLength: 5, maxLength: 5 }),
          to: Text({ minLength: 5, maxLength: 5 }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
    description:
      'Weekly windows (e.g. {"days": "mon-fri", "from": "01:00", "to": "07:00"}) outside which no new transfer starts; empty = any time',
    fromConfig: () => [],
    refine: (value, all) => {
      for (const [i, window] of (value as TimeWindow[]).entries()) {
        const problem = describeWindowProblem(window, String(all.timeZone));
        if (problem) return `/${i}/${problem}`;
      }
      return null;
    },
  }),
  namingPattern: define({
    schema: Text({ minLength: 1, maxLength: MAX_PATTERN_LENGTH }),
    description:
      'Where a track is filed in the library: Lidarr-style tokens ({Album Artist Name}, {Album Title}, {Release Year}, {track:00}, {Track Title}…), "/" between folders; the extension is added',
    fromConfig: (c) => c.namingPattern,
    refine: (value) => namingPatternProblem(value),
  }),
  multiDiscNamingPattern: define({
    schema: Text({ minLength: 1, maxLength: MAX_PATTERN_LENGTH }),
    description:
      'The same for a track of a multi-disc release (disc 2 or later, or any disc when the disc total is above 1), e.g. with "Disc {medium}" as a folder',
    fromConfig: (c) => c.multiDiscNamingPattern,
    refine: (value) => namingPatternProblem(value),
  }),
  transcodeAction: define({
    schema: Type.Union([Type.Literal('reject'), Type.Literal('warn')]),
    description:
      'A lossless file that looks like a transcode (its spectrum stops at a lossy cut-off): reject fails that source with invalid_file and tries the next; warn files it with suspectTranscode set',
    fromConfig: (c) => c.transcodeAction,
  }),
  tagFiles: define({
    schema: Type.Boolean(),
    description:
      "Write the request's tags (title, artist, album, numbers, year, genre, ISRC, MusicBrainz ids) into each filed file, verified by reading them back",
    fromConfig: (c) => c.tagFiles,
  }),
  embedCover: define({
    schema: Type.Boolean(),
    description:
      "Embed a front cover: the request's coverUrl, else a cover.*/folder.* image next to the download",
    fromConfig: (c) => c.embedCover,
  }),
  writeFolderCover: define({
    schema: Type.Boolean(),
    description:
      'Also save that cover as cover.jpg (or cover.png) in the album folder, unless the folder has one',
    fromConfig: (c) => c.writeFolderCover,
  }),
  fetchAllowedRanges: define({
    schema: Type.Array(Text({ minLength: 1, maxLength: 50 }), { maxItems: 50 }),
    description:
      'CIDR ranges SoulSpot may fetch user-supplied URLs from although they are loopback or private (e.g. "192.168.1.0/24"); empty = public addresses only',
    fromConfig: () => [],
    refine: (value) => {
      for (const [i, range] of (value as string[]).entries()) {
        const problem = cidrProblem(range);
        if (problem) return `/${i}: ${problem}`;
      }
      return null;
    },
  }),
  allowedPrivateTargets: define({
    schema: Type.Array(Text({ minLength: 1, maxLength: 260 }), { maxItems: 50 }),
    description:
      'Notification targets SoulSpot may deliver to although they are loopback, private or link-local: "host[:port]" (e.g. "gotify.lan", "192.168.1.5:8080") or CIDR ("192.168.1.0/24"); empty = public addresses only',
    fromConfig: (c) => c.allowedPrivateTargets,
    refine: (value) => {
      for (const [i, entry] of (value as string[]).entries()) {
        const problem = allowedTargetProblem(entry);
        if (problem) return `/${i}: ${problem}`;
      }
      return null;
    },
  }),
  notificationGroupSeconds: define({
    schema: Type.Number({ minimum: 0, maximum: 3600 }),
    description:
      'Events of one type for one target within this many seconds of the first become one message ("500 downloads completed"); 0 = each its own',
    fromConfig: (c) => c.notificationGroupSeconds,
  }),
  diskLowMb: define({
    schema: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    description:
      'Announce disk.low once when free space in the library falls below this many MB (again after it rose 10% above); 0 = never',
    fromConfig: (c) => Math.max(1024, Math.ceil((c.minFreeBytes * 2) / 1_048_576)),
  }),
  toastEvents: define({
    schema: Type.Array(Type.Enum([...NOTIFICATION_EVENTS]), {
      maxItems: NOTIFICATION_EVENTS.length,
      uniqueItems: true,
    }),
    description:
      'Events shown as in-app toasts (a `notification` event over SSE, grouped like the other targets); empty = none',
    fromConfig: () => [...NOTIFICATION_EVENTS],
  }),
  lidarrUrl: define({
    schema: Type.String({
      maxLength: 500,
      pattern: '^$|^[hH][tT][tT][pP][sS]?://[^\\s/?#@]+(/[^\\s?#]*)?$',
    }),
    description:
      'Lidarr for the wanted-list sync, e.g. "http://192.168.1.10:8686" (empty = off); this one host may be on the LAN or this machine',
    fromConfig: (c) => c.lidarrUrl ?? '',
  }),
  lidarrApiKey: define({
    schema: Text({ maxLength: 200 }),
    description: `Lidarr's API key (Settings → General); write-only: reads show "${WRITE_ONLY_MASK}" when set`,
    fromConfig: (c) => c.lidarrApiKey ?? '',
  }),
  lidarrSyncMinutes: define({
    schema: Type.Integer({ minimum: 0, maximum: 7 * 24 * 60 }),
    description:
      "Minutes between Lidarr wanted-list syncs (0 = only POST /api/lidarr/sync); each queues Lidarr's new missing albums and asks it to import the filed ones",
    fromConfig: () => 15,
  }),
  lidarrSyncCutoff: define({
    schema: Type.Boolean(),
    description:
      "The sync also queues Lidarr's cutoff-unmet albums (wanted/cutoff), not only the missing ones",
    fromConfig: () => false,
  }),
  lidarrPathMappings: define({
    schema: Type.Array(
      Type.Object(
        {
          remote: Text({ minLength: 1, maxLength: 1000, nonBlank: true }),
          local: Text({ minLength: 1, maxLength: 1000, nonBlank: true }),
        },
        { additionalProperties: false },
      ),
      { maxItems: 20 },
    ),
    description:
      'Remote path mappings for Lidarr: {"remote": the folder as Lidarr sees it, "local": the same folder as SoulSpot sees it}, e.g. {"remote": "/music-in", "local": "/srv/soulspot/library"}; the SABnzbd API and the sync hand Lidarr remote paths',
    fromConfig: () => [],
  }),
  backupRetention: define({
    schema: Type.Integer({ minimum: 1, maximum: 1000 }),
    description:
      'Backups kept in <data dir>/backups (POST /api/system/backup); the oldest beyond this are removed after each new one',
    fromConfig: (c) => c.backupRetention,
  }),
} as const;

export type SettingKey = keyof typeof SETTING_DEFINITIONS;

/** Settings that are secrets: stored and used, never read back through the API. */
export const WRITE_ONLY_SETTINGS: readonly SettingKey[] = ['lidarrApiKey'];

/** The settings as the API shows them: write-only ones masked. */
export function redactSettings(settings: Readonly<Settings>): Settings {
  const out = { ...settings } as Record<string, unknown>;
  for (const key of WRITE_ONLY_SETTINGS) out[key] = out[key] ? WRITE_ONLY_MASK : '';
  return out as Settings;
}

/** A PATCH without the masked values sent back unchanged. */
export function withoutMasked(patch: SettingsPatch): SettingsPatch {
  const out = { ...patch } as Record<string, unknown>;
  for (const key of WRITE_ONLY_SETTINGS) if (out[key] === WRITE_ONLY_MASK) delete out[key];
  return out as SettingsPatch;
}
export type Settings = {
  -readonly [K in SettingKey]: Static<(typeof SETTING_DEFINITIONS)[K]['schema']>;
};

export const SETTING_KEYS = Object.keys(SETTING_DEFINITIONS) as SettingKey[];

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_DEFINITIONS, key);
}

/** The settings as the environment (or the built-in defaults) gives them. */
export function defaultSettings(config: Config): Settings {
  const out: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) out[key] = SETTING_DEFINITIONS[key].fromConfig(config);
  return out as Settings;
}

/** The whole settings object, for GET responses. */
export const SettingsSchema: TSchema = Type.Object(
  Object.fromEntries(
    SETTING_KEYS.map((key) => [
      key,
      { ...SETTING_DEFINITIONS[key].schema, description: SETTING_DEFINITIONS[key].description },
    ]),
  ),
  { additionalProperties: false },
);

/**
 * A PATCH body: any non-empty subset of the settings; null puts a setting back to its default.
 * Unknown keys are rejected, so a typo is a 400 naming the field rather than a change that never
 * happens; an empty body changes nothing either, and is refused as PATCH /api/downloads/{id} does.
 */
export const SettingsPatchSchema: TSchema = Type.Object(
  Object.fromEntries(
    SETTING_KEYS.map((key) => [
      key,
      Type.Optional(
        Type.Union([SETTING_DEFINITIONS[key].schema, Type.Null()], {
          description: SETTING_DEFINITIONS[key].description,
        }),
      ),
    ]),
  ),
  { additionalProperties: false, minProperties: 1 },
);

export type SettingsPatch = { [K in SettingKey]?: Settings[K] | null };
