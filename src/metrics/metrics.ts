import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptFinished } from '../events/event-bus.js';
import type { LoggedEvent } from '../events/event-log.js';
import type { SlskdRequestObservation } from '../providers/slskd/slskd.api.js';

/**
 * SoulSpot's Prometheus metrics (`GET /metrics`), on a registry of its own per app (never
 * prom-client's global one: tests start several apps in one process, and each must count alone).
 * The names below are the public contract, listed in README.md; metrics.test.ts asserts them.
 *
 * Two kinds of sources:
 * - counters fed by events as they happen (this process's transfers, slskd requests; download
 *   completions and failures from the shared event log);
 * - gauges read on scrape through small functions (queue depth, transfers, circuit, outbox), each
 *   cheap: the queue depth is one grouped count over a covering index, cached a few seconds.
 */

/** Reads the queue depth; one grouped count (queue-control.repository countsByStatusAndHold). */
export type QueueDepthSource = () => Promise<
  ReadonlyArray<{ status: string; hold: string; n: number }>
>;

export interface MetricsSources {
  queueDepth: QueueDepthSource;
  /** Followed transfers moving bytes and their summed speed (transfer-monitor activity()). */
  transfers: () => { active: number; bytesPerSecond: number };
  /** Each provider's circuit and health, by provider id. */
  providers: () => ReadonlyArray<{
    provider: string;
    circuit: 'closed' | 'open' | 'half-open' | undefined;
    state: 'up' | 'down' | 'unknown';
  }>;
  /**
   * Notifications waiting in the outbox (deliveries not yet made). Absent until notifications are
   * wired in main.ts: then `soulspot_outbox_backlog` is not exported at all (rather than a 0 that
   * would claim an empty outbox).
   */
  outboxBacklog?: () => Promise<number>;
  /** Downloads waiting for a filing slot, all processes (queue-control.repository filingBacklog). */
  filingBacklog?: () => Promise<number>;
  /** Where a failed read goes (the gauge keeps its last values). */
  onError?: (what: string, error: unknown) => void;
}

/** The queue depth is counted at most this often, however often Prometheus scrapes. */
export const QUEUE_DEPTH_CACHE_MS = 5_000;

/**
 * A gauge that reads the database waits this long, then shows its last values: a scrape must
 * answer while the database does not (the event-loop lag and the circuit matter most then), and
 * Prometheus gives up on a scrape after 10 s by default. The read goes on; the next scrape waits
 * on the same one rather than starting another.
 */
export const GAUGE_READ_TIMEOUT_MS = 2_000;

/** Resolves when `promise` settles or after `ms`, whichever is first (never rejects). */
function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const CIRCUIT_STATES = ['closed', 'half-open', 'open'] as const;

/** Latency buckets for slskd requests: a local daemon answers in ms, a busy one in seconds. */
const SLSKD_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | null = null;

/**
 * prom-client's default metrics, process_* and nodejs_* (event-loop lag:
 * nodejs_eventloop_lag_seconds and its percentiles), on one registry per process, shared by every
 * app in it. They describe the process, not an app, and two of their collectors can never be
 * stopped: the event-loop delay histogram (a timer) and the GC PerformanceObserver, which also
 * holds its registry. Collected per app, every app started and stopped in one process (tests, an
 * embedding) would leave both running for good, each keeping its app's metrics alive. The lag
 * histogram samples every 50 ms (prom-client's default is 10 ms): a stall still shows at its full
 * length, with a fifth of the wake-ups.
 */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: 50 });
  }
  return processRegistry;
}

export function createMetrics(
  sources: MetricsSources,
  options: { now?: () => number; readTimeoutMs?: number } = {},
) {
  const now = options.now ?? Date.now;
  const readTimeoutMs = options.readTimeoutMs ?? GAUGE_READ_TIMEOUT_MS;
  /** This app's own metrics; /metrics serves them together with processMetrics(). */
  const registry = new Registry();
  const registers = [registry];

  let depth: { at: number; rows: Awaited<ReturnType<QueueDepthSource>> } | null = null;
  let depthRead: Promise<void> | null = null;
  const readDepth = async (): Promise<void> => {
    if (depth && now() - depth.at < QUEUE_DEPTH_CACHE_MS) return;
    depthRead ??= sources
      .queueDepth()
      .then((rows) => {
        depth = { at: now(), rows };
      })
      .catch((error: unknown) => sources.onError?.('queue depth', error))
      .finally(() => {
        depthRead = null;
      });
    await settledWithin(depthRead, readTimeoutMs);
  };

  new Gauge({
    name: 'soulspot_queue_downloads',
    help: 'Downloads by status and hold (none, paused, scheduled), all processes (counted at most every 5 s)',
    labelNames: ['status', 'hold'] as const,
    registers,
    async collect() {
      await readDepth();
      if (!depth) return;
      this.reset();
      for (const r of depth.rows) this.set({ status: r.status, hold: r.hold }, Number(r.n));
    },
  });
  new Gauge({
    name: 'soulspot_transfers_active',
    help: "Transfers this process follows that are moving bytes (slskd's last list)",
    registers,
    collect() {
      this.set(sources.transfers().active);
    },
  });
  new Gauge({
    name: 'soulspot_transfer_speed_bytes_per_second',
    help: 'Summed average speed of the active transfers, bytes per second',
    registers,
    collect() {
      this.set(sources.transfers().bytesPerSecond);
    },
  });
  new Gauge({
    name: 'soulspot_provider_circuit_state',
    help: 'The circuit breaker in front of each provider: 1 for the state it is in (closed, half-open, open), else 0',
    labelNames: ['provider', 'state'] as const,
    registers,
    collect() {
      for (const p of sources.providers()) {
        for (const state of CIRCUIT_STATES) {
          this.set({ provider: p.provider, state }, p.circuit === state ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: 'soulspot_provider_up',
    help: 'Whether the provider answered its last health probe and is connected (1) or not (0)',
    labelNames: ['provider'] as const,
    registers,
    collect() {
      for (const p of sources.providers())
        this.set({ provider: p.provider }, p.state === 'up' ? 1 : 0);
    },
  });
  /** A gauge of one count read on scrape, bounded by the read timeout like the others. */
  const countGauge = (name: string, help: string, what: string, read: () => Promise<number>) => {
    let pending: Promise<void> | null = null;
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        pending ??= read()
          .then((n) => this.set(n))
          .catch((error: unknown) => sources.onError?.(what, error))
          .finally(() => {
            pending = null;
          });
        await settledWithin(pending, readTimeoutMs);
      },
    });
  };
  if (sources.outboxBacklog) {
    countGauge(
      'soulspot_outbox_backlog',
      'Notification deliveries waiting in the outbox',
      'outbox backlog',
      sources.outboxBacklog,
    );
  }
  if (sources.filingBacklog) {
    countGauge(
      'soulspot_filing_backlog',
      'Downloads whose bytes are in waiting for a filing slot, all processes (at maxFilingBacklog no new transfer starts)',
      'filing backlog',
      sources.filingBacklog,
    );
  }

  const downloadedBytes = new Counter({
    name: 'soulspot_downloaded_bytes_total',
    help: "Bytes received from peers by this process's transfers (counted when a transfer ends)",
    registers,
  });
  const sourceFailures = new Counter({
    name: 'soulspot_source_failures_total',
    help: 'Sources (transfers from one peer) that failed in this process, by error code',
    labelNames: ['code'] as const,
    registers,
  });
  const completed = new Counter({
    name: 'soulspot_downloads_completed_total',
    help: 'Downloads filed into the library since this process started (every process sharing the database)',
    registers,
  });
  const failed = new Counter({
    name: 'soulspot_downloads_failed_total',
    help: 'Downloads that failed for good since this process started (every process sharing the database), by error code',
    labelNames: ['code'] as const,
    registers,
  });
  const slskdDuration = new Histogram({
    name: 'soulspot_slskd_request_duration_seconds',
    help: 'slskd HTTP requests by route template, method and status ("none": no answer)',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: SLSKD_BUCKETS,
    registers,
  });
  const slskdErrors = new Counter({
    name: 'soulspot_slskd_request_errors_total',
    help: 'slskd HTTP requests that failed, by route template, method and error code',
    labelNames: ['route', 'method', 'code'] as const,
    registers,
  });

  return {
    registry,
    /** The text exposition format, and its content type. */
    async render(): Promise<{ contentType: string; body: string }> {
      const both = Registry.merge([processMetrics(), registry]);
      return { contentType: both.contentType, body: await both.metrics() };
    },
    /** Feeds the slskd client's observer (createSlskdApi's `observe`). */
    observeSlskd(o: SlskdRequestObservation): void {
      const status = o.status === null ? 'none' : String(o.status);
      slskdDuration.observe({ route: o.route, method: o.method, status }, o.seconds);
      if (o.errorCode !== null) {
        slskdErrors.inc({ route: o.route, method: o.method, code: o.errorCode });
      }
    },
    /** Feeds a finished source (the bus's attempt.finished, this process only). */
    observeAttempt(a: AttemptFinished): void {
      if (a.bytes > 0) downloadedBytes.inc(a.bytes);
      if (a.outcome === 'failed') sourceFailures.inc({ code: a.errorCode ?? 'unknown' });
    },
    /**
     * Feeds the event log's events (every process's: the log is shared). Several processes on one
     * PostgreSQL each count every download, so aggregate these with max(), not sum().
     */
    observeEvent(e: LoggedEvent): void {
      if (e.type === 'download.completed') completed.inc();
      else if (e.type === 'download.failed') failed.inc({ code: e.payload.errorCode ?? 'unknown' });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
