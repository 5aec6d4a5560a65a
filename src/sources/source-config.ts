import { checkLiteralHost, lanAllowedPolicy, type AddressPolicy } from '../net/address-policy.js';
import { guardedFetch } from '../net/guarded-fetch.js';
import {
  buildClient,
  CLIENT_PROTOCOL,
  CLIENT_TYPES,
  CLIENT_SECRET,
  parseClientSettings,
  ProviderInputError,
  type ClientType,
} from '../providers/client-types.js';
import type { DownloadProvider } from '../providers/provider.js';
import { indexerOnly } from '../providers/single-role.js';
import {
  parseTorznabSettings,
  TorznabSettingsError,
} from '../providers/torznab/torznab.factory.js';
import { createTorznabProvider } from '../providers/torznab/torznab.provider.js';
import type { TorznabSettings } from '../providers/torznab/torznab.settings.js';

/**
 * One source's configuration, checked: the same schemas SOULSPOT_INDEXERS and
 * SOULSPOT_DOWNLOAD_CLIENTS go through (torznab.factory.ts, client-types.ts), with a message that
 * names the field as the API reports it (`settings/url: …`), and the adapter it makes.
 */

export type Role = 'indexer' | 'client';
export const INDEXER_TYPES = ['torznab', 'newznab'] as const;
export type IndexerType = (typeof INDEXER_TYPES)[number];
export { CLIENT_TYPES };

/** Bad input: 400 with the message (the API's error handler reads `statusCode`). */
export class SourceInputError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'SourceInputError';
  }
}

/** The secret field of a type, and whether the adapter cannot work without one (null refused). */
export function secretOf(type: string): { field: 'apiKey' | 'password'; required: boolean } {
  if (type === 'torznab' || type === 'newznab') return { field: 'apiKey', required: false };
  const field = CLIENT_SECRET[type as ClientType] ?? 'password';
  return { field, required: type !== 'qbittorrent' };
}

export interface CheckedSource {
  id: string;
  role: Role;
  type: string;
  enabled: boolean;
  /** What is stored: the adapter's settings with defaults filled, secret included. */
  settings: Record<string, unknown>;
  secret: string;
  protocol: 'torrent' | 'usenet';
  /** An indexer's download client. */
  clientId?: string;
  /** The member's name in the provider set (an indexer's is `torznab:<id>`). */
  providerId: string;
  /** The Torznab settings (an indexer's), for the test's caps request. */
  torznab?: TorznabSettings;
  make(): DownloadProvider;
}

const DEFAULT_PROTOCOL: Record<IndexerType, 'torrent' | 'usenet'> = {
  torznab: 'torrent',
  newznab: 'usenet',
};

/** The provider id an indexer row goes by in the set (Torznab and Newznab share one adapter). */
export const indexerProviderId = (id: string): string => `torznab:${id}`;

export function checkIndexer(
  id: string,
  type: unknown,
  enabled: boolean,
  raw: Record<string, unknown>,
): CheckedSource {
  if (type !== 'torznab' && type !== 'newznab')
    throw new SourceInputError(`type: expected one of ${INDEXER_TYPES.join(', ')}`);
  // id and enabled are the entry's own fields, not its settings'.
  const { id: _id, enabled: _enabled, ...rest } = raw;
  let settings: TorznabSettings;
  try {
    settings = parseTorznabSettings({
      protocol: DEFAULT_PROTOCOL[type],
      ...rest,
      id,
      enabled,
    });
  } catch (error) {
    if (error instanceof TorznabSettingsError && error.field)
      throw new SourceInputError(`settings${error.field.path}: ${error.field.message}`);
    throw error;
  }
  const stored = {
    url: settings.url,
    apiKey: settings.apiKey,
    protocol: settings.protocol,
    clientId: settings.clientId,
    categories: settings.categories,
    rateLimitPerMinute: settings.rateLimitPerMinute,
    allowPrivateAddress: settings.allowPrivateAddress,
  };
  return {
    id,
    role: 'indexer',
    type,
    enabled,
    settings: stored,
    secret: settings.apiKey,
    protocol: settings.protocol,
    clientId: settings.clientId,
    providerId: indexerProviderId(id),
    torznab: settings,
    make: () => indexerOnly(createTorznabProvider(settings)),
  };
}

/**
 * `trusted`: a client from SOULSPOT_DOWNLOAD_CLIENTS (the operator's own file), reached with plain
 * fetch as before; otherwise the URL is user-supplied: public addresses only unless the entry sets
 * `allowPrivateAddress`, checked here for IP literals and `localhost` and at every request after
 * resolving (guarded-fetch.ts).
 */
export function checkClient(
  id: string,
  type: unknown,
  enabled: boolean,
  raw: Record<string, unknown>,
  options: { trusted?: boolean } = {},
): CheckedSource {
  const { allowPrivateAddress = false, ...rest } = raw;
  if (typeof allowPrivateAddress !== 'boolean')
    throw new SourceInputError('settings/allowPrivateAddress: must be a boolean');
  let parsed;
  try {
    parsed = parseClientSettings(type, rest);
  } catch (error) {
    if (error instanceof ProviderInputError)
      throw new SourceInputError(
        error.path === '/type'
          ? `type: ${error.message}`
          : `settings${error.path}: ${error.message}`,
      );
    throw error;
  }
  const policy: AddressPolicy = allowPrivateAddress
    ? lanAllowedPolicy(`allowPrivateAddress of download client "${id}"`)
    : { settingName: `allowPrivateAddress of download client "${id}"` };
  const url = String(parsed.input.url);
  if (!options.trusted) {
    const target = new URL(url);
    const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
    const verdict = checkLiteralHost(target.hostname, port, policy);
    if (verdict && !verdict.ok) throw new SourceInputError(`settings/url: ${verdict.reason}`);
  }
  const fetchImpl = options.trusted
    ? undefined
    : guardedFetch(policy, { maxBytes: 256 * 1024 * 1024, timeoutMs: 600_000 });
  return {
    id,
    role: 'client',
    type: parsed.type,
    enabled,
    settings: {
      ...parsed.input,
      ...(parsed.allowPrivateIndexerLinks ? { allowPrivateIndexerLinks: true } : {}),
      allowPrivateAddress,
    },
    secret: parsed.secret,
    protocol: CLIENT_PROTOCOL[parsed.type],
    providerId: id,
    make: () => buildClient(parsed, { name: id, ...(fetchImpl ? { fetch: fetchImpl } : {}) }),
  };
}

/** The settings as the API shows them: everything but the secret. */
export function publicSettings(source: Pick<CheckedSource, 'type' | 'settings'>) {
  const { [secretOf(source.type).field]: _secret, ...rest } = source.settings;
  return rest;
}
