import { checkClient, checkIndexer, type CheckedSource } from './source-config.js';

/**
 * The sources from the environment (SOULSPOT_INDEXERS, SOULSPOT_DOWNLOAD_CLIENTS) in the API's
 * terms: listed beside the API's, read-only. configured.ts checked them at start already (a bad
 * one stops the process), so nothing here fails. An env client's id is its type, as the provider
 * set names it; an env indexer is `newznab` when it is a Usenet one.
 */
export function environmentSources(
  indexers: readonly unknown[],
  clients: readonly unknown[],
): CheckedSource[] {
  const fromIndexers = indexers.map((raw) => {
    const input = raw as Record<string, unknown>;
    const type = input.protocol === 'usenet' ? 'newznab' : 'torznab';
    return checkIndexer(String(input.id), type, input.enabled !== false, input);
  });
  const fromClients = clients.map((raw) => {
    const { type, ...rest } = raw as Record<string, unknown>;
    return checkClient(String(type), type, true, rest, { trusted: true });
  });
  return [...fromIndexers, ...fromClients];
}
