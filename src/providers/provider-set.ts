import type { CircuitStateName } from './circuit-breaker.js';
import {
  providerUnavailable,
  type DownloadClient,
  type DownloadProvider,
  type EnqueueRequest,
  type Indexer,
  type TransferStatus,
} from './provider.js';
import type { ProviderId } from './release.js';

/** Marks a provider set (a brand, not a method test: test doubles answer every property). */
const PROVIDER_SET = Symbol('provider-set');

/**
 * The providers SoulSpot is configured with, by role, behind the one `DownloadProvider` shape the
 * generic code holds (docs/architecture.md, "Providers: indexers and download clients"). main.ts
 * builds it from the configured adapters; adding a provider is adding an entry there, not changing
 * the pipeline.
 *
 * Routing rules, each by what the call carries:
 * - the search step picks the indexer itself, in the download's profile order (`indexerIds` is the
 *   configured order, provider-order.ts); the set's own search calls (the prefetcher's, the manual
 *   search) go to the first indexer;
 * - an enqueue goes to the client its request names, a transfer's questions (failure, local path)
 *   to the client that listed it; an attempt's other calls go through `clientFor(set, provider)`;
 * - the transfer list is every client's, each transfer tagged with its client;
 * - a call that names no provider (rows and adapters from before providers were a dimension) means
 *   the first client: slskd.
 */
export interface ProviderSet extends DownloadProvider {
  readonly [PROVIDER_SET]: true;
  readonly ids: readonly ProviderId[];
  /** The configured indexers, in the configured order. */
  readonly indexerIds: readonly ProviderId[];
  /**
   * Indexers configured but switched off: not searched, yet still a valid provider to search
   * first, so a preference naming one is kept and applies again once it is switched back on.
   */
  readonly disabledIndexerIds: readonly ProviderId[];
  /**
   * Throws ProviderError (the provider's unavailable code) for a provider not configured; no id:
   * the first client.
   */
  client(id?: ProviderId): DownloadClient;
  indexer(id: ProviderId): Indexer;
  /**
   * Every client's transfers, each client on its own: one client down (its circuit open) leaves the
   * others' transfers readable. `listTransfers` is the all-or-nothing form.
   */
  listTransfersEach(): Promise<{
    transfers: TransferStatus[];
    failed: Array<{ provider: ProviderId; error: unknown }>;
  }>;
  /** Open only when every provider's circuit is open: nothing could work then. */
  readonly circuit: CircuitStateName;
}

type Guarded = { readonly circuit?: CircuitStateName };

export function createProviderSet(roles: {
  indexers: readonly (Indexer & Guarded)[];
  clients: readonly (DownloadClient & Guarded)[];
  disabledIndexers?: readonly ProviderId[];
}): ProviderSet {
  const [search] = roles.indexers;
  const [first] = roles.clients;
  if (!search || !first) throw new Error('a provider set needs an indexer and a download client');
  const clients = new Map(roles.clients.map((c) => [c.name, c]));
  const indexers = new Map(roles.indexers.map((i) => [i.name, i]));

  const client = (id: ProviderId | undefined): DownloadClient => {
    if (id === undefined) return first;
    const found = clients.get(id);
    if (!found) throw providerUnavailable(id, `no download client "${id}" is configured`);
    return found;
  };
  const indexer = (id: ProviderId): Indexer => {
    const found = indexers.get(id);
    if (!found) throw providerUnavailable(id, `no indexer "${id}" is configured`);
    return found;
  };
  const members = [...new Set<Guarded>([...roles.indexers, ...roles.clients])];

  return {
    [PROVIDER_SET]: true,
    name: search.name,
    ids: [...new Set([...indexers.keys(), ...clients.keys()])],
    indexerIds: [...indexers.keys()],
    disabledIndexerIds: (roles.disabledIndexers ?? []).filter((id) => !indexers.has(id)),
    client,
    indexer,
    get circuit(): CircuitStateName {
      const states = members.map((m) => m.circuit ?? 'closed');
      if (states.every((s) => s === 'open')) return 'open';
      return states.includes('half-open') ? 'half-open' : 'closed';
    },
    health: () => search.health(),
    startSearch: (id, text, timeoutMs) => search.startSearch(id, text, timeoutMs),
    getSearch: (id) => search.getSearch(id),
    deleteSearch: (id) => search.deleteSearch(id),
    ...(search.listFolder
      ? { listFolder: (source: string, directory: string) => search.listFolder!(source, directory) }
      : {}),
    sourceLimit: first.sourceLimit ?? 'per-source',
    enqueue: (request: EnqueueRequest) => client(request.provider).enqueue(request),
    findEnqueued: (request: EnqueueRequest) => client(request.provider).findEnqueued(request),
    async listTransfers(): Promise<TransferStatus[]> {
      // All or nothing: a list missing one client's transfers would read as "they are gone".
      const lists = await Promise.all(
        roles.clients.map(async (c) =>
          (await c.listTransfers()).map((t) => ({ ...t, provider: c.name })),
        ),
      );
      return lists.flat();
    },
    async listTransfersEach() {
      const lists = await Promise.allSettled(
        roles.clients.map(async (c) =>
          (await c.listTransfers()).map((t) => ({ ...t, provider: c.name })),
        ),
      );
      return {
        transfers: lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : [])),
        failed: lists.flatMap((l, i) =>
          l.status === 'rejected' ? [{ provider: roles.clients[i]!.name, error: l.reason }] : [],
        ),
      };
    },
    cancel: (source, transferId) => first.cancel(source, transferId),
    forget: (source, transferId) => first.forget(source, transferId),
    queuePosition: (source, transferId) => first.queuePosition(source, transferId),
    describeFailure: (t) => client(t.provider).describeFailure(t),
    localPath: (t, options) => client(t.provider).localPath(t, options),
    downloadsRoot: () => first.downloadsRoot(),
  };
}

/**
 * The download client for a provider id: the set's member, or, for a single provider handed in
 * directly (tests, benchmarks), the provider itself.
 */
export function clientFor(provider: DownloadProvider, id: ProviderId | undefined): DownloadClient {
  return isSet(provider) ? provider.client(id) : provider;
}

/** The configured indexers in order: a set's, or the single provider handed in directly. */
export function indexerIdsOf(provider: DownloadProvider): readonly ProviderId[] {
  return isSet(provider) ? provider.indexerIds : [provider.name];
}

/**
 * The indexers a download may name to search first: the configured ones, switched on or off (a
 * switched-off one is skipped by the search order until it is on again, provider-order.ts).
 */
export function knownIndexerIdsOf(provider: DownloadProvider): readonly ProviderId[] {
  return isSet(provider)
    ? [...provider.indexerIds, ...provider.disabledIndexerIds]
    : [provider.name];
}

/** The indexer for a provider id, as `clientFor`. */
export function indexerFor(provider: DownloadProvider, id: ProviderId): Indexer {
  return isSet(provider) ? provider.indexer(id) : provider;
}

/** A provider set (by its brand), not a single provider handed in directly. */
export function isProviderSet(provider: DownloadProvider): provider is ProviderSet {
  return isSet(provider);
}

function isSet(provider: DownloadProvider): provider is ProviderSet {
  return (provider as { [PROVIDER_SET]?: unknown })[PROVIDER_SET] === true;
}

/**
 * A provider set that is always `current()`'s (the live set, live-provider-set.ts): the generic
 * code keeps this one object for the process's life while the set under it is rebuilt as sources
 * are added, edited or removed. Every property is read at each use; the capabilities that decide
 * a code path (`listFolder`, `sourceLimit`) are those of slskd, the set's first member, which
 * never changes.
 */
export function delegatingProviderSet(current: () => ProviderSet): ProviderSet {
  const first = current();
  return {
    [PROVIDER_SET]: true,
    get name() {
      return current().name;
    },
    get ids() {
      return current().ids;
    },
    get indexerIds() {
      return current().indexerIds;
    },
    get disabledIndexerIds() {
      return current().disabledIndexerIds;
    },
    get circuit() {
      return current().circuit;
    },
    client: (id) => current().client(id),
    indexer: (id) => current().indexer(id),
    listTransfersEach: () => current().listTransfersEach(),
    health: () => current().health(),
    startSearch: (id, text, timeoutMs) => current().startSearch(id, text, timeoutMs),
    getSearch: (id) => current().getSearch(id),
    deleteSearch: (id) => current().deleteSearch(id),
    ...(first.listFolder
      ? {
          listFolder: (source: string, directory: string) =>
            current().listFolder!(source, directory),
        }
      : {}),
    sourceLimit: first.sourceLimit ?? 'per-source',
    enqueue: (request) => current().enqueue(request),
    findEnqueued: (request) => current().findEnqueued(request),
    listTransfers: () => current().listTransfers(),
    cancel: (source, transferId) => current().cancel(source, transferId),
    forget: (source, transferId) => current().forget(source, transferId),
    queuePosition: (source, transferId) => current().queuePosition(source, transferId),
    describeFailure: (t) => current().describeFailure(t),
    localPath: (t, options) => current().localPath(t, options),
    downloadsRoot: () => current().downloadsRoot(),
  };
}
