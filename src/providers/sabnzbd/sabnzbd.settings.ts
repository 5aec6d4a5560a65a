import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { AddressPolicy } from '../../net/address-policy.js';
import type { PathMapping } from '../path-mapping.js';
import { PathMappingSchema } from '../nzbget/nzbget.settings.js';

/** The settings of one SABnzbd client, as the API and the configuration take them. */
export const SabnzbdSettingsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 500,
      pattern: '^https?://[^\\s/@]+(:\\d+)?(/[^\\s]*)?$',
      description:
        'base URL of SABnzbd (without /api), e.g. http://127.0.0.1:8080; no credentials in it',
    }),
    apiKey: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^[\\x21-\\x7E]+$',
      writeOnly: true,
      description: "SABnzbd's API key (Config → General); write-only",
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
          "where SABnzbd's completed downloads (its complete_dir) are seen by SoulSpot; default: complete_dir through the path mappings",
      }),
    ),
  },
  { additionalProperties: false },
);
export type SabnzbdSettingsInput = Static<typeof SabnzbdSettingsSchema>;

export const validateSabnzbdSettings = Compile(SabnzbdSettingsSchema);

/** What the adapter runs with: the input with defaults filled in and the limits. */
export interface SabnzbdSettings {
  url: string;
  apiKey: string;
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

export const SABNZBD_DEFAULTS = {
  category: 'soulspot',
  requestTimeoutMs: 15_000,
  maxResponseBytes: 32 * 1024 * 1024,
  cancelWaitMs: 10_000,
  nzbFetch: { maxBytes: 16 * 1024 * 1024, timeoutMs: 30_000 },
} as const;

export function sabnzbdSettings(
  input: Pick<SabnzbdSettings, 'url' | 'apiKey'> & Partial<Omit<SabnzbdSettings, 'url' | 'apiKey'>>,
): SabnzbdSettings {
  const settings: SabnzbdSettings = {
    url: input.url.replace(/\/+$/, '').replace(/\/api$/, ''),
    apiKey: input.apiKey,
    category: input.category ?? SABNZBD_DEFAULTS.category,
    pathMappings: input.pathMappings ?? [],
    requestTimeoutMs: input.requestTimeoutMs ?? SABNZBD_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: input.maxResponseBytes ?? SABNZBD_DEFAULTS.maxResponseBytes,
    cancelWaitMs: input.cancelWaitMs ?? SABNZBD_DEFAULTS.cancelWaitMs,
    nzbFetch: input.nzbFetch ?? { ...SABNZBD_DEFAULTS.nzbFetch },
  };
  if (input.fetch) settings.fetch = input.fetch;
  if (input.downloadsDir !== undefined && input.downloadsDir !== '')
    settings.downloadsDir = input.downloadsDir;
  return settings;
}

/** The settings as the API shows them: the API key never, only whether one is set. */
export function sabnzbdSettingsView(settings: SabnzbdSettings) {
  const { apiKey, nzbFetch: _fetch, ...rest } = settings;
  return { ...rest, hasApiKey: apiKey !== '' };
}
