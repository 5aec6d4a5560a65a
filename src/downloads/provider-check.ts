import type { DownloadProvider } from '../providers/provider.js';
import { isProviderSet, knownIndexerIdsOf } from '../providers/provider-set.js';
import type { ProviderId } from '../providers/release.js';

/**
 * A request names a provider to search first that is not a configured indexer. The API answers
 * 400 with the message; feed accept (a watch rule whose source was removed since) catches it and
 * asks again without the preference.
 */
export class UnknownProviderError extends Error {
  readonly statusCode = 400;
  constructor(message: string) {
    super(message);
    this.name = 'UnknownProviderError';
  }
}

/**
 * Refuses requests whose `provider` (the one to search first) is not an indexer configured now
 * (switched on or off: a switched-off one is searched first once it is on again), before anything
 * is written, naming the field of the first: `body/provider`, or
 * `body/items/3/provider` in a bulk body. Read at each call: sources added through the API count
 * at once. A download client that finds nothing itself (qBittorrent, SABnzbd) is refused too,
 * since a preference can only change which indexer is searched first.
 *
 * Only a check at accept: removing an indexer clears it from the downloads that name it
 * (sources.service.ts), and the search order ignores an id it does not know (provider-order.ts)
 * rather than the download failing.
 */
export function checkPreferredProviders(
  provider: DownloadProvider,
  requests: readonly { provider?: ProviderId | null }[],
  bulk: boolean,
): void {
  const indexers = knownIndexerIdsOf(provider);
  const index = requests.findIndex((r) => r.provider && !indexers.includes(r.provider));
  if (index < 0) return;
  const id = requests[index]!.provider!;
  const field = bulk ? `body/items/${index}/provider` : 'body/provider';
  const ids = isProviderSet(provider) ? provider.ids : [provider.name];
  const what = ids.includes(id)
    ? `"${id}" is a download client, not an indexer: it cannot be searched first`
    : `no indexer "${id}" is configured`;
  throw new UnknownProviderError(`${field}: ${what} (indexers: ${indexers.join(', ')})`);
}
