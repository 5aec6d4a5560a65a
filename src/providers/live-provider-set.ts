import type { GuardedProvider } from './circuit-breaker.js';
import type { HealthMonitor } from './health-monitor.js';
import type { DownloadProvider } from './provider.js';
import { createProviderSet, delegatingProviderSet, type ProviderSet } from './provider-set.js';
import type { ProviderId } from './release.js';

/**
 * The provider set as configuration says now (docs/architecture.md, "The live provider set"):
 * slskd and the environment's providers, fixed at start, plus the sources stored through the API,
 * which come and go while the process runs. The generic code holds `set`, one object for the
 * process's life; `apply` rebuilds the set under it.
 *
 * A member whose `key` (its id and configuration) is unchanged by an apply is kept as it is: its
 * circuit breaker, its health monitor and anything in flight at it go on. A member that changed is
 * a new adapter with a closed circuit (the old one's failures were about the old settings).
 */

/** What one member is made of: `make` runs only when no member has this key yet. */
export interface MemberSpec {
  /** Its id and configuration in one string: the same key means the same adapter. */
  key: string;
  indexer: boolean;
  client: boolean;
  make(): DownloadProvider;
}

export interface LiveMember {
  key: string;
  indexer: boolean;
  client: boolean;
  adapter: GuardedProvider;
  monitor: HealthMonitor;
}

export interface LiveProviderSet {
  readonly set: ProviderSet;
  /** Every member, slskd first: what health and metrics read. */
  members(): readonly LiveMember[];
  /**
   * The set from these specs, in order (slskd first), knowing the indexers configured but
   * switched off. Throws if it has no indexer or client.
   */
  apply(specs: readonly MemberSpec[], disabledIndexers?: readonly ProviderId[]): void;
  /** Starts the members' health monitors (and those of members added later). */
  start(): void;
  stop(): void;
}

export function createLiveProviderSet(deps: {
  guard(adapter: DownloadProvider): GuardedProvider;
  monitor(adapter: GuardedProvider): HealthMonitor;
  specs: readonly MemberSpec[];
}): LiveProviderSet {
  let members: LiveMember[] = [];
  let current: ProviderSet | null = null;
  let started = false;

  const apply = (
    specs: readonly MemberSpec[],
    disabledIndexers: readonly ProviderId[] = [],
  ): void => {
    const byKey = new Map(members.map((m) => [m.key, m]));
    const next = specs.map((spec): LiveMember => {
      const kept = byKey.get(spec.key);
      if (kept && kept.indexer === spec.indexer && kept.client === spec.client) return kept;
      const adapter = deps.guard(spec.make());
      const monitor = deps.monitor(adapter);
      return { key: spec.key, indexer: spec.indexer, client: spec.client, adapter, monitor };
    });
    // Built before anything is swapped or stopped: a set that cannot be built changes nothing.
    const set = createProviderSet({
      indexers: next.filter((m) => m.indexer).map((m) => m.adapter),
      clients: next.filter((m) => m.client).map((m) => m.adapter),
      disabledIndexers,
    });
    const keep = new Set(next);
    for (const old of members) if (!keep.has(old)) old.monitor.stop();
    const before = new Set(members);
    members = next;
    current = set;
    if (started) for (const m of next) if (!before.has(m)) m.monitor.start();
  };

  apply(deps.specs);
  return {
    set: delegatingProviderSet(() => current!),
    members: () => members,
    apply,
    start() {
      started = true;
      for (const m of members) m.monitor.start();
    },
    stop() {
      started = false;
      for (const m of members) m.monitor.stop();
    },
  };
}
