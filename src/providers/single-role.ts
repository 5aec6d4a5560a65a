import {
  ProviderError,
  type DownloadClient,
  type DownloadProvider,
  type Indexer,
} from './provider.js';

/**
 * One role behind the both-roles shape the circuit breaker and the provider set hold: the other
 * role's calls answer a ProviderError (the set never routes them here; this only guards a bug).
 * `name` renames the adapter: a client added through the API is known by its own id, not its type.
 */
export function indexerOnly(indexer: Indexer): DownloadProvider {
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

export function clientOnly(client: DownloadClient, name: string = client.name): DownloadProvider {
  const no = (): Promise<never> =>
    Promise.reject(new ProviderError('unknown', `${name} is a download client, not an indexer`));
  return { ...client, name, startSearch: no, getSearch: no, deleteSearch: no };
}
