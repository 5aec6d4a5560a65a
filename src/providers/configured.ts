import { ConfigError } from '../config/config-error.js';
import {
  buildClient,
  CLIENT_PROTOCOL,
  isClientType,
  parseClientSettings,
  ProviderInputError,
} from './client-types.js';
import type { DownloadProvider } from './provider.js';
import { indexerOnly } from './single-role.js';
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

/** Parses `SOULSPOT_DOWNLOAD_CLIENTS`: `[{"type": "qbittorrent", ...its settings}, …]`. */
export function configuredClients(inputs: readonly unknown[]): ConfiguredProvider[] {
  const seen = new Set<string>();
  return inputs.map((raw, i) => {
    const where = `SOULSPOT_DOWNLOAD_CLIENTS[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new ProviderConfigError(`${where}: expected an object with a "type"`);
    }
    const { type, ...rest } = raw as Record<string, unknown>;
    if (isClientType(type) && seen.has(type)) {
      throw new ProviderConfigError(`${where}/type: "${type}" is configured twice`);
    }
    let parsed;
    try {
      parsed = parseClientSettings(type, rest);
    } catch (error) {
      if (error instanceof ProviderInputError)
        throw new ProviderConfigError(`${where}${error.path}: ${error.message}`);
      throw error;
    }
    seen.add(parsed.type);
    return {
      adapter: buildClient(parsed),
      indexer: false,
      client: true,
      secrets: [parsed.secret],
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
    if (
      !names.has(settings.clientId) ||
      !isClientType(settings.clientId) ||
      CLIENT_PROTOCOL[settings.clientId] !== settings.protocol
    ) {
      throw new ProviderConfigError(
        `SOULSPOT_INDEXERS: indexer "${settings.id}" (${settings.protocol}) names client "${settings.clientId}", which is not a configured ${settings.protocol} client (configured: ${[...names].join(', ') || 'none'}; SOULSPOT_DOWNLOAD_CLIENTS)`,
      );
    }
  }
  return [...builtIndexers, ...builtClients];
}
