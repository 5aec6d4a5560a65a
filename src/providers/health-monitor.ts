import type { EventBus } from '../events/event-bus.js';
import type { ProviderBase, ProviderHealth } from './provider.js';
import type { ProviderId } from './release.js';

export interface HealthState {
  state: 'up' | 'down' | 'unknown';
  /** The circuit breaker in front of the daemon: open means nothing is sent but a periodic probe. */
  circuit?: 'closed' | 'open' | 'half-open';
  version?: string;
  /** SoulSpot's own fixed wording (see `publicHealth`), never the daemon's text. */
  message?: string;
  checkedAt: string | null;
}

/** Where the daemon's own words go: the process log, which scrubs secrets from every line. */
export interface HealthLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/** What "offline" (answering, but off its network) means per daemon, in words a user knows. */
const OFFLINE_WORDING: Record<string, string> = {
  slskd: 'slskd is not logged in to Soulseek',
};

/** A version as daemons report it ("0.26.0", "0.22.5.0-rc1+abc"): anything else is not shown. */
const VERSION = /^[0-9A-Za-z.+-]{1,64}$/;

/**
 * What /api/health (open to anyone, no key) and the provider.health event may say. A provider's
 * message can carry the daemon's own text or its URL with `user:password@` (a connection error
 * names the address it failed on), so only a fixed sentence chosen from the state goes out. Done
 * here, in the one place every provider's health passes through, rather than per message.
 */
export function publicHealth(
  name: string,
  h: ProviderHealth,
): Pick<HealthState, 'state' | 'version' | 'message'> {
  const out: Pick<HealthState, 'state' | 'version' | 'message'> = { state: h.state };
  if (h.version !== undefined && VERSION.test(h.version)) out.version = h.version;
  if (h.state === 'down') {
    out.message = h.offline
      ? (OFFLINE_WORDING[name] ?? `${name} is not connected to its network`)
      : `${name} is unreachable`;
  }
  return out;
}

/** Probes a provider on a timer and publishes changes, so /api/health never waits on the daemon. */
export function createHealthMonitor(deps: {
  provider: Pick<ProviderBase, 'name' | 'health'> & {
    readonly circuit?: 'closed' | 'open' | 'half-open';
  };
  bus: EventBus;
  intervalMs: number;
  log?: HealthLog;
}) {
  const name = deps.provider.name;
  let current: HealthState = { state: 'unknown', checkedAt: null };
  let lastDetail: string | undefined;
  let timer: NodeJS.Timeout | null = null;

  const probe = async (): Promise<ProviderHealth> => {
    try {
      return await deps.provider.health();
    } catch (error) {
      // The contract says health() never throws; if one does, that is "unreachable" all the same.
      return { state: 'down', message: error instanceof Error ? error.message : String(error) };
    }
  };

  const check = async (): Promise<HealthState> => {
    const h = await probe();
    const next: HealthState = { ...publicHealth(name, h), checkedAt: new Date().toISOString() };
    // The daemon's own words still help whoever runs SoulSpot: they go to the log, once per change.
    if (h.message !== lastDetail) {
      lastDetail = h.message;
      if (h.state === 'down')
        deps.log?.warn({ provider: name, detail: h.message }, 'provider down');
      else if (current.state === 'down') deps.log?.info({ provider: name }, 'provider up again');
    }
    // Offline when it goes down from up or from the start (unknown); online only when it comes
    // back from down, so a normal start announces nothing.
    if (next.state === 'down' && current.state !== 'down')
      deps.bus.emit('provider.offline', {
        provider: name,
        message: next.message ?? `${name} is unreachable`,
      });
    if (next.state === 'up' && current.state === 'down')
      deps.bus.emit('provider.online', { provider: name });
    if (next.state !== current.state || next.message !== current.message) {
      deps.bus.emit('provider.health', {
        provider: name,
        state: next.state,
        ...(next.message !== undefined ? { message: next.message } : {}),
      });
    }
    current = next;
    return next;
  };
  const circuit = () => deps.provider.circuit;

  return {
    name,
    check,
    /** The daemon's own words at the last probe that found it down (for the log and the sources API). */
    get detail(): string | undefined {
      return current.state === 'down' ? lastDetail : undefined;
    },
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

/** Every configured provider's health, by provider id: what /api/health reports. */
export interface HealthBoard {
  readonly providers: Record<ProviderId, HealthState>;
  /** Up when every provider is up. */
  readonly allUp: boolean;
}

/** `monitors` may be a function: the live provider set's members change (live-provider-set.ts). */
export function healthBoard(
  monitors:
    | readonly Pick<HealthMonitor, 'name' | 'current'>[]
    | (() => readonly Pick<HealthMonitor, 'name' | 'current'>[]),
): HealthBoard {
  const all = typeof monitors === 'function' ? monitors : () => monitors;
  return {
    get providers() {
      return Object.fromEntries(all().map((m) => [m.name, m.current]));
    },
    get allUp() {
      return all().every((m) => m.current.state === 'up');
    },
  };
}
