import { Type, type Static } from 'typebox';

/**
 * One Torznab or Newznab indexer, as the user configures it (Prowlarr, Jackett, NZBHydra, a Usenet
 * indexer's own API). The two dialects are one here: Newznab's API with Torznab's attributes, so
 * `protocol` alone says which download client fetches what it finds.
 */
export const TorznabIndexerSettingsSchema = Type.Object(
  {
    /** The indexer's name: the source of its candidates (`username`) and the key of its health. */
    id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]*$' }),
    /** The API endpoint without `?t=…`, e.g. `http://prowlarr:9696/1/api` or `https://indexer/api`. */
    url: Type.String({
      minLength: 8,
      maxLength: 2048,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$',
    }),
    /** Sent as `apikey=` in the query. Secret: write-only in the API, redacted in every message. */
    apiKey: Type.String({ minLength: 0, maxLength: 256, writeOnly: true }),
    protocol: Type.Union([Type.Literal('torrent'), Type.Literal('usenet')]),
    /** The download client that fetches this indexer's releases (`qbittorrent`, `sabnzbd`, `nzbget`). */
    clientId: Type.String({ minLength: 1, maxLength: 64 }),
    /** Newznab categories searched: 3000 audio, 3010 MP3, 3040 lossless. */
    categories: Type.Array(Type.Integer({ minimum: 0, maximum: 999_999 }), {
      minItems: 1,
      maxItems: 50,
      default: [3000, 3010, 3040],
    }),
    /** Requests per minute SoulSpot allows itself against this indexer (many limit API hits). */
    rateLimitPerMinute: Type.Integer({ minimum: 1, maximum: 600, default: 30 }),
    enabled: Type.Boolean({ default: true }),
    /**
     * Allow the indexer on a loopback or private address (Prowlarr on the same host or LAN). Off by
     * default: the URL is user-supplied and fetched server-side (SSRF rules, safe-fetch.ts).
     */
    allowPrivateAddress: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);

export type TorznabIndexerSettingsInput = Static<typeof TorznabIndexerSettingsSchema>;

/** The settings as the provider uses them: the schema's, defaults filled, plus tuning knobs. */
export interface TorznabSettings {
  id: string;
  url: string;
  apiKey: string;
  protocol: 'torrent' | 'usenet';
  clientId: string;
  categories: number[];
  rateLimitPerMinute: number;
  enabled: boolean;
  allowPrivateAddress: boolean;
  /** Per request, body included. */
  requestTimeoutMs: number;
  /** A feed larger than this is refused. */
  maxResponseBytes: number;
  /** Pages fetched per search at most (each `limit` items). */
  maxPages: number;
  /** Items asked for per page; lowered to the indexer's `limits max` when caps say so. */
  pageSize: number;
  /** Searches kept in memory at most (oldest dropped first). */
  maxSearches: number;
  /** Candidates kept per search at most. */
  maxCandidatesPerSearch: number;
}

export const TORZNAB_DEFAULTS = {
  categories: [3000, 3010, 3040],
  rateLimitPerMinute: 30,
  enabled: true,
  allowPrivateAddress: false,
  requestTimeoutMs: 15_000,
  maxResponseBytes: 8 * 1024 * 1024,
  maxPages: 3,
  pageSize: 100,
  maxSearches: 200,
  maxCandidatesPerSearch: 1000,
} as const;

/** Fills the defaults in and strips a trailing slash from the URL. */
export function torznabSettings(
  input: Pick<TorznabSettings, 'id' | 'url' | 'apiKey' | 'protocol' | 'clientId'> &
    Partial<Omit<TorznabSettings, 'id' | 'url' | 'apiKey' | 'protocol' | 'clientId'>>,
): TorznabSettings {
  return {
    ...TORZNAB_DEFAULTS,
    ...input,
    categories: [...(input.categories ?? TORZNAB_DEFAULTS.categories)],
    url: input.url.replace(/\/+$/, ''),
  };
}
