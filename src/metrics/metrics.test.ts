import { createRequire } from 'node:module';
import type * as PerfHooks from 'node:perf_hooks';
import parse, { type ParsedFamily } from 'parse-prometheus-text-format';
import { describe, expect, it, vi } from 'vitest';
import { createMetrics, QUEUE_DEPTH_CACHE_MS, type MetricsSources } from './metrics.js';

const family = (families: ParsedFamily[], name: string): ParsedFamily | undefined =>
  families.find((f) => f.name === name);

function sources(overrides: Partial<MetricsSources> = {}): MetricsSources & { reads: number } {
  const s = {
    reads: 0,
    queueDepth: async () => {
      s.reads += 1;
      return [
        { status: 'waiting', hold: 'none', n: 3 },
        { status: 'waiting', hold: 'paused', n: 2 },
      ];
    },
    transfers: () => ({ active: 2, bytesPerSecond: 1500 }),
    providers: () => [{ provider: 'slskd', circuit: 'half-open' as const, state: 'down' as const }],
    ...overrides,
  };
  return s;
}

describe('createMetrics', () => {
  it('gives each app its own registry: two of them count apart', async () => {
    const a = createMetrics(sources());
    const b = createMetrics(sources());
    a.observeAttempt({
      downloadId: 'd',
      provider: 'slskd',
      username: 'u',
      filename: 'f',
      outcome: 'succeeded',
      errorCode: null,
      errorMessage: null,
      bytes: 1000,
      averageSpeed: 10,
      at: 0,
    });
    const bytes = (text: string) =>
      family(parse(text), 'soulspot_downloaded_bytes_total')?.metrics[0]?.value;
    expect(bytes((await a.render()).body)).toBe('1000');
    expect(bytes((await b.render()).body)).toBe('0');
  });

  it('reads the queue depth at most once per cache period, and the gauges on scrape', async () => {
    let t = 1_000_000;
    const s = sources();
    const m = createMetrics(s, { now: () => t });
    const first = parse((await m.render()).body);
    await m.render();
    expect(s.reads).toBe(1);
    t += QUEUE_DEPTH_CACHE_MS;
    await m.render();
    expect(s.reads).toBe(2);
    expect(family(first, 'soulspot_queue_downloads')?.metrics).toEqual([
      { value: '3', labels: { status: 'waiting', hold: 'none' } },
      { value: '2', labels: { status: 'waiting', hold: 'paused' } },
    ]);
    expect(family(first, 'soulspot_transfers_active')?.metrics[0]?.value).toBe('2');
    expect(family(first, 'soulspot_transfer_speed_bytes_per_second')?.metrics[0]?.value).toBe(
      '1500',
    );
    expect(family(first, 'soulspot_provider_circuit_state')?.metrics).toEqual([
      { value: '0', labels: { provider: 'slskd', state: 'closed' } },
      { value: '1', labels: { provider: 'slskd', state: 'half-open' } },
      { value: '0', labels: { provider: 'slskd', state: 'open' } },
    ]);
    expect(family(first, 'soulspot_provider_up')?.metrics[0]).toEqual({
      value: '0',
      labels: { provider: 'slskd' },
    });
  });

  it('exports the outbox backlog only when a source for it is wired in', async () => {
    const without = parse((await createMetrics(sources()).render()).body);
    expect(family(without, 'soulspot_outbox_backlog')).toBeUndefined();
    const withOutbox = createMetrics(sources({ outboxBacklog: async () => 42 }));
    const parsed = parse((await withOutbox.render()).body);
    expect(family(parsed, 'soulspot_outbox_backlog')).toMatchObject({
      type: 'GAUGE',
      metrics: [{ value: '42' }],
    });
  });

  it('exports the filing backlog only when a source for it is wired in', async () => {
    const without = parse((await createMetrics(sources()).render()).body);
    expect(family(without, 'soulspot_filing_backlog')).toBeUndefined();
    const withBacklog = createMetrics(sources({ filingBacklog: async () => 7 }));
    const parsed = parse((await withBacklog.render()).body);
    expect(family(parsed, 'soulspot_filing_backlog')).toMatchObject({
      type: 'GAUGE',
      metrics: [{ value: '7' }],
    });
  });

  it('keeps the last queue depth when a read fails, and reports the failure', async () => {
    let t = 0;
    let fail = false;
    const errors: string[] = [];
    const m = createMetrics(
      sources({
        queueDepth: async () => {
          if (fail) throw new Error('database gone');
          return [{ status: 'completed', hold: 'none', n: 7 }];
        },
        onError: (what) => errors.push(what),
      }),
      { now: () => t },
    );
    await m.render();
    fail = true;
    t += QUEUE_DEPTH_CACHE_MS;
    const parsed = parse((await m.render()).body);
    expect(family(parsed, 'soulspot_queue_downloads')?.metrics[0]?.value).toBe('7');
    expect(errors).toEqual(['queue depth']);
  });

  it('counts slskd requests by route, method and status, and errors by code', async () => {
    const m = createMetrics(sources());
    m.observeSlskd({
      route: '/searches',
      method: 'POST',
      status: 200,
      seconds: 0.02,
      errorCode: null,
    });
    m.observeSlskd({
      route: '/application',
      method: 'GET',
      status: null,
      seconds: 0.001,
      errorCode: 'slskd_unavailable',
    });
    const parsed = parse((await m.render()).body);
    const errors = family(parsed, 'soulspot_slskd_request_errors_total');
    expect(errors?.metrics).toEqual([
      { value: '1', labels: { route: '/application', method: 'GET', code: 'slskd_unavailable' } },
    ]);
    const text = (await m.render()).body;
    expect(text).toContain(
      'soulspot_slskd_request_duration_seconds_bucket{le="0.025",route="/searches",method="POST",status="200"} 1',
    );
    expect(text).toContain(
      'soulspot_slskd_request_duration_seconds_count{route="/application",method="GET",status="none"} 1',
    );
  });
});

describe('the process-wide default metrics', () => {
  it('start one event-loop sampler per process, however many apps are made', async () => {
    // prom-client reads the function off node's perf_hooks module each time it starts a sampler.
    const perfHooks = createRequire(import.meta.url)('node:perf_hooks') as typeof PerfHooks;
    const spy = vi.spyOn(perfHooks, 'monitorEventLoopDelay');
    try {
      const apps = [createMetrics(sources()), createMetrics(sources()), createMetrics(sources())];
      for (const app of apps) {
        const names = parse((await app.render()).body).map((f) => f.name);
        expect(names).toContain('nodejs_eventloop_lag_seconds');
        expect(names).toContain('process_cpu_user_seconds_total');
        expect(names).toContain('soulspot_queue_downloads');
      }
      // At most the first app in this process started it; none of the others did.
      expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('a scrape while the database does not answer', () => {
  it('answers with the last values, and starts no second read while the first hangs', async () => {
    let t = 1_000_000;
    let hang = false;
    let depthReads = 0;
    let backlogReads = 0;
    const never = new Promise<never>(() => undefined);
    const m = createMetrics(
      sources({
        queueDepth: async () => {
          depthReads += 1;
          if (hang) return never;
          return [{ status: 'waiting', hold: 'none', n: 3 }];
        },
        outboxBacklog: async () => {
          backlogReads += 1;
          if (hang) return never;
          return 5;
        },
      }),
      { now: () => t, readTimeoutMs: 100 },
    );
    await m.render();
    hang = true;
    t += QUEUE_DEPTH_CACHE_MS;
    for (let i = 0; i < 3; i++) {
      const answer = await Promise.race([
        m.render(),
        new Promise<'no answer'>((r) => setTimeout(() => r('no answer'), 20_000)),
      ]);
      expect(answer).not.toBe('no answer');
      const fams = parse((answer as { body: string }).body);
      expect(family(fams, 'soulspot_queue_downloads')?.metrics).toEqual([
        { value: '3', labels: { status: 'waiting', hold: 'none' } },
      ]);
      expect(family(fams, 'soulspot_outbox_backlog')?.metrics[0]?.value).toBe('5');
    }
    expect(depthReads).toBe(2);
    expect(backlogReads).toBe(2);
  });
});
