import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { lanAllowedPolicy } from '../net/address-policy.js';
import { createNzbgetProvider } from './nzbget/nzbget.provider.js';
import { NzbgetSettingsSchema, nzbgetSettings } from './nzbget/nzbget.settings.js';
import type { DownloadProvider } from './provider.js';
import { createQbittorrentProvider } from './qbittorrent/qbittorrent.provider.js';
import {
  QbittorrentSettingsSchema,
  qbittorrentSettings,
} from './qbittorrent/qbittorrent.settings.js';
import { createSabnzbdProvider } from './sabnzbd/sabnzbd.provider.js';
import { SabnzbdSettingsSchema, sabnzbdSettings } from './sabnzbd/sabnzbd.settings.js';
import { clientOnly } from './single-role.js';

/**
 * The download client types: each its settings schema, its secret field, the protocol it fetches
 * and its constructor. One table for both ways a client is configured (SOULSPOT_DOWNLOAD_CLIENTS,
 * configured.ts; the API, src/sources), so both validate alike.
 */

export const CLIENT_TYPES = ['qbittorrent', 'sabnzbd', 'nzbget'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

/** The protocol each client type fetches: an indexer's releases must go to one that speaks it. */
export const CLIENT_PROTOCOL: Record<ClientType, 'torrent' | 'usenet'> = {
  qbittorrent: 'torrent',
  nzbget: 'usenet',
  sabnzbd: 'usenet',
};

/** The one secret field of each type: write-only in the API, redacted in the log. */
export const CLIENT_SECRET: Record<ClientType, 'password' | 'apiKey'> = {
  qbittorrent: 'password',
  nzbget: 'password',
  sabnzbd: 'apiKey',
};

const SCHEMAS: Record<ClientType, TSchema> = {
  qbittorrent: QbittorrentSettingsSchema,
  nzbget: NzbgetSettingsSchema,
  sabnzbd: SabnzbdSettingsSchema,
};
const CHECKS = Object.fromEntries(
  CLIENT_TYPES.map((t) => [t, Compile(SCHEMAS[t])]),
) as unknown as Record<ClientType, ReturnType<typeof Compile>>;

/** Bad settings: `path` is the field's JSON pointer (`/url`), '' for the whole object. */
export class ProviderInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderInputError';
  }
}

export function isClientType(type: unknown): type is ClientType {
  return typeof type === 'string' && (CLIENT_TYPES as readonly string[]).includes(type);
}

/** A client's settings, checked: the adapter's input with defaults filled, and the link rule. */
export interface ParsedClient {
  type: ClientType;
  input: Record<string, unknown>;
  /** Let the client fetch a .torrent/.nzb from a loopback or private indexer (Prowlarr on the LAN). */
  allowPrivateIndexerLinks: boolean;
  secret: string;
}

/** Checks one client's settings (without `type`) against its type's schema; throws ProviderInputError. */
export function parseClientSettings(type: unknown, raw: Record<string, unknown>): ParsedClient {
  if (!isClientType(type)) {
    throw new ProviderInputError('/type', `expected one of ${CLIENT_TYPES.join(', ')}`);
  }
  const { allowPrivateIndexerLinks, ...rest } = raw;
  if (allowPrivateIndexerLinks !== undefined && typeof allowPrivateIndexerLinks !== 'boolean') {
    throw new ProviderInputError('/allowPrivateIndexerLinks', 'must be a boolean');
  }
  // qBittorrent's schema has the flag itself (its adapter reads it); the Usenet ones do not.
  const own =
    type === 'qbittorrent' && allowPrivateIndexerLinks !== undefined
      ? { ...rest, allowPrivateIndexerLinks }
      : rest;
  const input = Value.Default(SCHEMAS[type], structuredClone(own)) as Record<string, unknown>;
  const check = CHECKS[type];
  if (!check.Check(input)) {
    const [first] = check.Errors(input);
    throw new ProviderInputError(first?.instancePath ?? '', first?.message ?? 'invalid');
  }
  return {
    type,
    input,
    allowPrivateIndexerLinks: allowPrivateIndexerLinks === true,
    secret: String(input[CLIENT_SECRET[type]] ?? ''),
  };
}

/**
 * The adapter for checked settings, as a client only. `name` is its provider id (default: its
 * type, as SOULSPOT_DOWNLOAD_CLIENTS names them); `fetch` replaces plain fetch for the daemon's
 * own API (net/guarded-fetch.ts, for a URL the API was given).
 */
export function buildClient(
  parsed: ParsedClient,
  options: { name?: string; fetch?: typeof fetch } = {},
): DownloadProvider {
  const extra = options.fetch ? { fetch: options.fetch } : {};
  const input = parsed.input as never;
  const nzbFetch = {
    maxBytes: 16 * 1024 * 1024,
    timeoutMs: 30_000,
    ...(parsed.allowPrivateIndexerLinks ? { policy: lanAllowedPolicy() } : {}),
  };
  const adapter =
    parsed.type === 'qbittorrent'
      ? createQbittorrentProvider({ ...qbittorrentSettings(input), ...extra })
      : parsed.type === 'nzbget'
        ? createNzbgetProvider(
            nzbgetSettings({ ...(input as object), nzbFetch, ...extra } as never),
          )
        : createSabnzbdProvider(
            sabnzbdSettings({ ...(input as object), nzbFetch, ...extra } as never),
          );
  return clientOnly(adapter, options.name ?? parsed.type);
}
