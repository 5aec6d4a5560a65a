import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { EventBus } from '../events/event-bus.js';
import { isProviderDown } from '../downloads/error-codes.js';
import { ProviderError, providerUnavailable, type DownloadProvider } from './provider.js';
import type { IndexerRelease } from './release.js';

export type CircuitStateName = 'closed' | 'open' | 'half-open';

export interface GuardedProvider extends DownloadProvider {
  readonly circuit: CircuitStateName;
}

/** Failures that mean "the daemon is down", as opposed to a peer or file problem. */
function isDaemonDown(error: Error): boolean {
  return error instanceof ProviderError && isProviderDown(error.code);
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * Puts a circuit breaker in front of a provider. After `threshold` consecutive daemon-down failures
 * it opens: calls fail at once with the provider's unavailable code (slskd: `slskd_unavailable`)
 * and nothing is sent to the daemon, except
 * the health monitor's periodic probe once `halfOpenAfterMs` has passed; its success closes the
 * circuit and work resumes by itself. Downloads meanwhile wait (they are never failed for it).
 */
export function withCircuitBreaker(
  inner: DownloadProvider,
  options: { threshold: number; halfOpenAfterMs: number; bus: EventBus },
): GuardedProvider {
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleWhen(isDaemonDown), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.threshold),
  });
  breaker.onStateChange((state) => {
    options.bus.emit('provider.circuit', { provider: inner.name, circuit: STATE_NAMES[state] });
  });

  let isolation: { dispose(): void } | null = null;
  /** Why the circuit is held open while `isolation` is set (the probe's message). */
  let isolatedBecause = '';

  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await breaker.execute(fn);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        // Held open for being off its network, the daemon itself answers: say so, not "unreachable".
        const why = isolation ? isolatedBecause : `${inner.name} is unreachable`;
        throw providerUnavailable(inner.name, `${why}; waiting for it to come back (circuit open)`);
      }
      throw error;
    }
  };

  return {
    name: inner.name,
    ...(inner.sourceLimit !== undefined ? { sourceLimit: inner.sourceLimit } : {}),
    // Filing reads it through this wrapper: lost here, a seeding client's files would be removed.
    ...(inner.keepsFiles !== undefined ? { keepsFiles: inner.keepsFiles } : {}),
    get circuit() {
      return STATE_NAMES[breaker.state];
    },
    async health() {
      if (isolation) {
        // Held open because slskd is off its network: this probe is the only call that goes out.
        const h = await inner.health();
        if (h.state === 'up') {
          isolation.dispose();
          isolation = null;
        } else {
          // Still held: the calls held back say why as it is now (off its network, or gone).
          isolatedBecause = h.message ?? `${inner.name} is down`;
        }
        return h;
      }
      try {
        const h = await guard(async () => {
          const answer = await inner.health();
          if (answer.state === 'down' && !answer.offline) {
            throw providerUnavailable(inner.name, answer.message ?? 'down');
          }
          return answer;
        });
        // "Not logged in to Soulseek" is down at once: searches and enqueues cannot work, so hold
        // the circuit open until a probe finds slskd back on its network.
        if (h.state === 'down' && h.offline) {
          isolatedBecause = h.message ?? `${inner.name} is off its network`;
          isolation = breaker.isolate();
        }
        return h;
      } catch (error) {
        return { state: 'down', message: error instanceof Error ? error.message : String(error) };
      }
    },
    // Pure (no daemon call): a release indexer's own query fallbacks, lost here, would search
    // by Soulseek's file-name queries.
    ...(inner.queriesFor ? { queriesFor: (track) => inner.queriesFor!(track) } : {}),
    startSearch: (id, text, timeoutMs) => guard(() => inner.startSearch(id, text, timeoutMs)),
    getSearch: (id) => guard(() => inner.getSearch(id)),
    deleteSearch: (id) => guard(() => inner.deleteSearch(id)),
    enqueue: (request) => guard(() => inner.enqueue(request)),
    findEnqueued: (request) => guard(() => inner.findEnqueued(request)),
    listTransfers: () => guard(() => inner.listTransfers()),
    cancel: (username, id) => guard(() => inner.cancel(username, id)),
    forget: (username, id) => guard(() => inner.forget(username, id)),
    queuePosition: (username, id) => guard(() => inner.queuePosition(username, id)),
    describeFailure: (t) => inner.describeFailure(t),
    localPath: (t, options) => guard(() => inner.localPath(t, options)),
    downloadsRoot: () => guard(() => inner.downloadsRoot()),
    // Not guarded: it reads the indexer's document, never the client, so it says nothing of the
    // client's health (a success must not close a circuit open for the client).
    ...(inner.releaseFiles
      ? { releaseFiles: (release: IndexerRelease) => inner.releaseFiles!(release) }
      : {}),
    ...(inner.listFolder
      ? {
          listFolder: (username: string, directory: string) =>
            guard(() => inner.listFolder!(username, directory)),
        }
      : {}),
  };
}
