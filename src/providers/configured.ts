import { lanAllowedPolicy } from '../net/address-policy.js';
import { Compile } from 'typebox/compile';
import { ConfigError } from '../config/config-error.js';
import { Value } from 'typebox/value';
import type { TSchema } from 'typebox';
import { createNzbgetProvider } from './nzbget/nzbget.provider.js';
import { NzbgetSettingsSchema, nzbgetSettings } from './nzbget/nzbget.settings.js';
import {
  ProviderError,
  type DownloadClient,
  type DownloadProvider,
  type Indexer,
} from './provider.js';
import { createQbittorrentProvider } from './qbittorrent/qbittorrent.provider.js';
import {
  QbittorrentSettingsSchema,
  qbittorrentSettings,
} from './qbittorrent/qbittorrent.settings.js';
import { createSabnzbdProvider } from './sabnzbd/sabnzbd.provider.js';
import { SabnzbdSettingsSchema, sabnzbdSettings } from './sabnzbd/sabnzbd.settings.js';
import { createTorznabIndexers, TorznabSettingsError } from './torznab/torznab.factory.js';
import type { TorznabProvider } from './torznab/torznab.provider.js';

/**
 * The providers beyond slskd, from configuration (docs/architecture.md, "Providers: indexers and
 * download clients"): Torznab/Newznab indexers (`SOULSPOT_INDEXERS`) and the download clients
 * that fetch their releases (`SOULSPOT_DOWNLOAD_CLIENTS`), each a JSON list. Every entry is
 * checked against its adapter's schema before anything starts, with a message naming the entry
 * and the field and never quoting a secret.
 */

/** Bad provider configuration: reported at start like every other configuration problem. */
export class ProviderConfigError extends ConfigError {
  constructor(message: string) {
    super([message]);
    this.name = 'ProviderConfigError';
  }
}

/** A configured adapter and the roles it plays. */
export interface ConfiguredProvider {
  adapter: DownloadProvider;
  indexer: boolean;
  client: boolean;
  /** Secrets it holds, for the logger's redaction. */
  secrets: string[];
}

/**
 * Download client types, each its settings schema and its constructor. `allowPrivateIndexerLinks`
 * lets the client fetch a .torrent/.nzb from a loopback or private indexer (Prowlarr on the LAN);
 * off, indexer links are fetched from public addresses only (safe-fetch.ts).
 */
const CLIENTS: Record<
  string,
  {
    schema: TSchema;
    build(input: never, allowPrivate: boolean): DownloadClient;
    secret(input: never): string;
  }
> = {
  qbittorrent: {
    schema: QbittorrentSettingsSchema,
    build: (input: Parameters<typeof qbittorrentSettings>[0]) =>
      createQbittorrentProvider(qbittorrentSettings(input)),
    secret: (input: { password: string }) => input.password,
  },
  nzbget: {
    schema: NzbgetSettingsSchema,
    build: (input: Parameters<typeof nzbgetSettings>[0], allowPrivate: boolean) =>
      createNzbgetProvider(nzbgetSettings({ ...input, nzbFetch: usenetFetch(allowPrivate) })),
    secret: (input: { password: string }) => input.password,
  },
  sabnzbd: {
    schema: SabnzbdSettingsSchema,
    build: (input: Parameters<typeof sabnzbdSettings>[0], allowPrivate: boolean) =>
      createSabnzbdProvider(sabnzbdSettings({ ...input, nzbFetch: usenetFetch(allowPrivate) })),
    secret: (input: { apiKey: string }) => input.apiKey,
  },
};

function usenetFetch(allowPrivate: boolean) {
  return {
    maxBytes: 16 * 1024 * 1024,
    timeoutMs: 30_000,
    ...(allowPrivate ? { policy: lanAllowedPolicy() } : {}),
  };
}

/** Parses `SOULSPOT_DOWNLOAD_CLIENTS`: `[{"type": "qbittorrent", ...its settings}, …]`. */
export function configuredClients(inputs: readonly unknown[]): ConfiguredProvider[] {
  const seen = new Set<string>();
  return inputs.map((raw, i) => {
    const where = `SOULSPOT_DOWNLOAD_CLIENTS[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ProviderConfigError(`${where}: expected an object with a "type"`);
    }
    const { type, allowPrivateIndexerLinks, ...rest } = raw as Record<string, unknown>;
    const kind = typeof type === 'string' ? CLIENTS[type] : undefined;
    if (!kind) {
      throw new ProviderConfigError(
        `${where}/type: expected one of ${Object.keys(CLIENTS).join(', ')}`,
      );
    }
    if (seen.has(type as string)) {
      throw new ProviderConfigError(`${where}/type: "${String(type)}" is configured twice`);
    }
    seen.add(type as string);
    const input: unknown = Value.Default(
      kind.schema,
      structuredClone(
        type === 'qbittorrent' && allowPrivateIndexerLinks !== undefined
          ? { ...rest, allowPrivateIndexerLinks }
          : rest,
      ),
    );
    const check = Compile(kind.schema);
    if (!check.Check(input)) {
      const [first] = check.Errors(input);
      throw new ProviderConfigError(
        `${where}${first?.instancePath ?? ''}: ${first?.message ?? 'invalid'}`,
      );
    }
    const adapter = kind.build(input as never, allowPrivateIndexerLinks === true);
    return {
      adapter: clientOnly(adapter),
      indexer: false,
      client: true,
      secrets: [kind.secret(input as never)],
    };
  });
}

/** Parses `SOULSPOT_INDEXERS` (the Torznab settings schema, torznab.settings.ts). */
export function configuredIndexers(inputs: readonly unknown[]): ConfiguredProvider[] {
  return createTorznabIndexers(inputs).map((indexer) => ({
    adapter: indexerOnly(indexer),
    indexer: true,
    client: false,
    secrets: [indexer.settings.apiKey],
  }));
}

/**
 * One role behind the both-roles shape the circuit breaker and the provider set hold: the other
 * role's calls answer a ProviderError (the set never routes them here; this only guards a bug).
 */
function indexerOnly(indexer: Indexer): DownloadProvider {
  const no = (): Promise<never> =>
    Promise.reject(
      new ProviderError('unknown', `${indexer.name} is an indexer, not a download client`),
    );
  return {
    ...indexer,
    enqueue: no,
    findEnqueued: no,
    listTransfers: () => Promise.resolve([]),
    cancel: no,
    forget: no,
    queuePosition: () => Promise.resolve(null),
    describeFailure: () => ({
      code: 'unknown',
      message: 'not a download client',
      daemonRestart: false,
      final: true,
    }),
    localPath: no,
    downloadsRoot: () => Promise.resolve(null),
  };
}

function clientOnly(client: DownloadClient): DownloadProvider {
  const no = (): Promise<never> =>
    Promise.reject(
      new ProviderError('unknown', `${client.name} is a download client, not an indexer`),
    );
  return { ...client, startSearch: no, getSearch: no, deleteSearch: no };
}

/** The protocol each client type fetches: an indexer's releases must go to one that speaks it. */
const CLIENT_PROTOCOL: Record<string, 'torrent' | 'usenet'> = {
  qbittorrent: 'torrent',
  nzbget: 'usenet',
  sabnzbd: 'usenet',
};

/**
 * Every configured provider after slskd: the indexers (configured order), then the clients. An
 * indexer whose `clientId` names no configured client of its protocol is refused here: its
 * releases could never be fetched, and every download would wait on a client that is not there.
 */
export function configuredProviders(
  indexers: readonly unknown[],
  clients: readonly unknown[],
): ConfiguredProvider[] {
  const builtClients = configuredClients(clients);
  let builtIndexers: ConfiguredProvider[];
  try {
    builtIndexers = configuredIndexers(indexers);
  } catch (error) {
    if (error instanceof TorznabSettingsError) {
      throw new ProviderConfigError(`SOULSPOT_INDEXERS: ${error.message}`);
    }
    throw error;
  }
  const names = new Set(builtClients.map((c) => c.adapter.name));
  for (const entry of builtIndexers) {
    const settings = (entry.adapter as unknown as TorznabProvider).settings;
    if (!names.has(settings.clientId) || CLIENT_PROTOCOL[settings.clientId] !== settings.protocol) {
      throw new ProviderConfigError(
        `SOULSPOT_INDEXERS: indexer "${settings.id}" (${settings.protocol}) names client "${settings.clientId}", which is not a configured ${settings.protocol} client (configured: ${[...names].join(', ') || 'none'}; SOULSPOT_DOWNLOAD_CLIENTS)`,
      );
    }
  }
  return [...builtIndexers, ...builtClients];
}
