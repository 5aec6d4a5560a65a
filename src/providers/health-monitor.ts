import type { EventBus } from '../events/event-bus.js';
import type { DownloadProvider } from './provider.js';

export interface HealthState {
  state: 'up' | 'down' | 'unknown';
  /** The circuit breaker in front of the daemon: open means nothing is sent but a periodic probe. */
  circuit?: 'closed' | 'open' | 'half-open';
  version?: string;
  message?: string;
  checkedAt: string | null;
}

/** Probes a provider on a timer and publishes changes, so /api/health never waits on the daemon. */
export function createHealthMonitor(deps: {
  provider: DownloadProvider & { readonly circuit?: 'closed' | 'open' | 'half-open' };
  bus: EventBus;
  intervalMs: number;
}) {
  let current: HealthState = { state: 'unknown', checkedAt: null };
  let timer: NodeJS.Timeout | null = null;

  const check = async (): Promise<HealthState> => {
    const h = await deps.provider.health();
    const next: HealthState = {
      state: h.state,
      checkedAt: new Date().toISOString(),
      ...(h.version ? { version: h.version } : {}),
      ...(h.message ? { message: h.message } : {}),
    };
    if (next.state !== current.state || next.message !== current.message) {
      deps.bus.emit('provider.health', {
        provider: deps.provider.name,
        state: next.state,
        ...(next.message ? { message: next.message } : {}),
      });
    }
    current = next;
    return next;
  };
  const circuit = () => deps.provider.circuit;

  return {
    check,
    get current(): HealthState {
      const c = circuit();
      return c ? { ...current, circuit: c } : current;
    },
    start(): void {
      void check();
      timer = setInterval(() => void check(), deps.intervalMs);
    },
    stop(): void {
      if (timer) clearInterval(timer);
    },
  };
}

export type HealthMonitor = ReturnType<typeof createHealthMonitor>;
