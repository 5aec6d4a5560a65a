import { Type, type Static } from 'typebox';
import type { PathMapping } from '../path-mapping.js';

/**
 * How SoulSpot reaches one qBittorrent (Web API v2). The TypeBox schema is what the settings API
 * and the config file validate against; `qbittorrentSettings` fills the defaults in.
 */
export const QbittorrentSettingsSchema = Type.Object(
  {
    /** Base URL of the WebUI, without `/api/v2`, e.g. `http://127.0.0.1:8080`. */
    url: Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' }),
    username: Type.String({ minLength: 1, maxLength: 256 }),
    /** Write-only: never returned by the API, never logged. */
    password: Type.String({ maxLength: 1024, writeOnly: true }),
    /** Every torrent SoulSpot adds gets it; `torrents/info` is asked for this category alone. */
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\\\/]+$' })),
    /** Where qBittorrent saves SoulSpot's torrents, as qBittorrent sees it; absent: its default. */
    savePath: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    /**
     * Where qBittorrent's finished files are visible to SoulSpot (the confinement root). Absent:
     * the save path mapped through `pathMappings`.
     */
    downloadsDir: Type.Optional(Type.String({ minLength: 1, maxLength: 4096 })),
    pathMappings: Type.Optional(
      Type.Array(
        Type.Object({
          remote: Type.String({ minLength: 1, maxLength: 4096 }),
          local: Type.String({ minLength: 1, maxLength: 4096 }),
        }),
        { maxItems: 32 },
      ),
    ),
    /** A downloading torrent that has known no seeder this long is stalled (`queue_timeout`). */
    noSeedersTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 7 * 86_400 })),
    /** A downloading torrent whose bytes have not moved this long (seeders or not) is stalled. */
    noProgressTimeoutSeconds: Type.Optional(Type.Integer({ minimum: 10, maximum: 7 * 86_400 })),
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 120_000 })),
    maxResponseBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 256 * 1024 * 1024 })),
    /** A .torrent an indexer serves larger than this is refused. */
    maxTorrentBytes: Type.Optional(Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024 })),
    /** How long an enqueue waits for qBittorrent to know a new torrent's files (magnet metadata). */
    metadataWaitMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600_000 })),
    /** Let .torrent links point at loopback/private addresses (a Jackett on the same host). */
    allowPrivateIndexerLinks: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export type QbittorrentSettingsInput = Static<typeof QbittorrentSettingsSchema>;

export interface QbittorrentSettings {
  url: string;
  username: string;
  password: string;
  category: string;
  savePath?: string;
  downloadsDir?: string;
  pathMappings: PathMapping[];
  noSeedersTimeoutSeconds: number;
  noProgressTimeoutSeconds: number;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  maxTorrentBytes: number;
  metadataWaitMs: number;
  allowPrivateIndexerLinks: boolean;
  /**
   * The HTTP client for the WebUI: absent, plain fetch (the operator's own config); a client added
   * through the API gets safe-fetch's address policy (net/guarded-fetch.ts).
   */
  fetch?: typeof fetch;
}

export const QBITTORRENT_DEFAULTS = {
  category: 'soulspot',
  noSeedersTimeoutSeconds: 600,
  noProgressTimeoutSeconds: 1800,
  requestTimeoutMs: 10_000,
  maxResponseBytes: 32 * 1024 * 1024,
  maxTorrentBytes: 8 * 1024 * 1024,
  metadataWaitMs: 60_000,
} as const;

/** Fills the defaults in and strips a trailing slash from the URL. */
export function qbittorrentSettings(input: QbittorrentSettingsInput): QbittorrentSettings {
  const settings: QbittorrentSettings = {
    url: input.url.replace(/\/+$/, ''),
    username: input.username,
    password: input.password,
    category: input.category ?? QBITTORRENT_DEFAULTS.category,
    pathMappings: (input.pathMappings ?? []).map((m) => ({ remote: m.remote, local: m.local })),
    noSeedersTimeoutSeconds:
      input.noSeedersTimeoutSeconds ?? QBITTORRENT_DEFAULTS.noSeedersTimeoutSeconds,
    noProgressTimeoutSeconds:
      input.noProgressTimeoutSeconds ?? QBITTORRENT_DEFAULTS.noProgressTimeoutSeconds,
    requestTimeoutMs: input.requestTimeoutMs ?? QBITTORRENT_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: input.maxResponseBytes ?? QBITTORRENT_DEFAULTS.maxResponseBytes,
    maxTorrentBytes: input.maxTorrentBytes ?? QBITTORRENT_DEFAULTS.maxTorrentBytes,
    metadataWaitMs: input.metadataWaitMs ?? QBITTORRENT_DEFAULTS.metadataWaitMs,
    allowPrivateIndexerLinks: input.allowPrivateIndexerLinks ?? false,
  };
  if (input.savePath !== undefined) settings.savePath = input.savePath;
  if (input.downloadsDir !== undefined) settings.downloadsDir = input.downloadsDir;
  return settings;
}
