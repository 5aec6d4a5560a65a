import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { AddressPolicy } from '../../net/address-policy.js';
import type { PathMapping } from '../path-mapping.js';

/** A remote path mapping (path-mapping.ts), as the API and the configuration take it. */
export const PathMappingSchema = Type.Object(
  {
    remote: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'the folder as the client names it, e.g. /downloads',
    }),
    local: Type.String({
      minLength: 1,
      maxLength: 1000,
      description: 'the same folder as SoulSpot sees it, e.g. /mnt/dl',
    }),
  },
  { additionalProperties: false },
);

/** The settings of one NZBGet client, as the API and the configuration take them. */
export const NzbgetSettingsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 500,
      pattern: '^https?://[^\\s/@]+(:\\d+)?(/[^\\s]*)?$',
      description:
        'base URL of NZBGet (without /jsonrpc), e.g. http://127.0.0.1:6789; no credentials in it',
    }),
    username: Type.String({ minLength: 1, maxLength: 200, description: 'ControlUsername' }),
    password: Type.String({
      minLength: 1,
      maxLength: 500,
      writeOnly: true,
      description: 'ControlPassword; write-only',
    }),
    category: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[^/\\\\\\x00-\\x1f]+$',
      default: 'soulspot',
    }),
    pathMappings: Type.Array(PathMappingSchema, { maxItems: 20, default: [] }),
    downloadsDir: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description:
          "where NZBGet's finished downloads (its DestDir) are seen by SoulSpot; default: DestDir through the path mappings",
      }),
    ),
  },
  { additionalProperties: false },
);
export type NzbgetSettingsInput = Static<typeof NzbgetSettingsSchema>;

export const validateNzbgetSettings = Compile(NzbgetSettingsSchema);

/** What the adapter runs with: the input with defaults filled in and the limits. */
export interface NzbgetSettings {
  url: string;
  username: string;
  password: string;
  category: string;
  pathMappings: PathMapping[];
  downloadsDir?: string;
  requestTimeoutMs: number;
  maxResponseBytes: number;
  /** For the .nzb fetched from an indexer (safe-fetch). */
  nzbFetch: { maxBytes: number; timeoutMs: number; policy?: AddressPolicy };
  /** How long `cancel` waits for the job to leave the queue. */
  cancelWaitMs: number;
  /** The HTTP client for the daemon's API (absent: plain fetch; see net/guarded-fetch.ts). */
  fetch?: typeof fetch;
}

export const NZBGET_DEFAULTS = {
  category: 'soulspot',
  requestTimeoutMs: 15_000,
  maxResponseBytes: 32 * 1024 * 1024,
  cancelWaitMs: 10_000,
  nzbFetch: { maxBytes: 16 * 1024 * 1024, timeoutMs: 30_000 },
} as const;

export function nzbgetSettings(
  input: Pick<NzbgetSettings, 'url' | 'username' | 'password'> &
    Partial<Omit<NzbgetSettings, 'url' | 'username' | 'password'>>,
): NzbgetSettings {
  const settings: NzbgetSettings = {
    url: input.url.replace(/\/+$/, '').replace(/\/jsonrpc$/, ''),
    username: input.username,
    password: input.password,
    category: input.category ?? NZBGET_DEFAULTS.category,
    pathMappings: input.pathMappings ?? [],
    requestTimeoutMs: input.requestTimeoutMs ?? NZBGET_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: input.maxResponseBytes ?? NZBGET_DEFAULTS.maxResponseBytes,
    cancelWaitMs: input.cancelWaitMs ?? NZBGET_DEFAULTS.cancelWaitMs,
    nzbFetch: input.nzbFetch ?? { ...NZBGET_DEFAULTS.nzbFetch },
  };
  if (input.fetch) settings.fetch = input.fetch;
  if (input.downloadsDir !== undefined && input.downloadsDir !== '')
    settings.downloadsDir = input.downloadsDir;
  return settings;
}

/** The settings as the API shows them: the password never, only whether one is set. */
export function nzbgetSettingsView(settings: NzbgetSettings) {
  const { password, nzbFetch: _fetch, ...rest } = settings;
  return { ...rest, hasPassword: password !== '' };
}
