import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parse, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { buildCatalogue, requestFor, type CatalogueTrack } from '../helpers/catalogue.js';
import { API_KEY, startStack, type Stack } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

const METRICS_KEY = 'metrics-key-0123456789abcdef';

/** The exact families SoulSpot exports, with their types (README.md lists the same). */
const FAMILIES: Record<string, ParsedFamily['type']> = {
  soulspot_queue_downloads: 'GAUGE',
  soulspot_transfers_active: 'GAUGE',
  soulspot_transfer_speed_bytes_per_second: 'GAUGE',
  soulspot_provider_circuit_state: 'GAUGE',
  soulspot_provider_up: 'GAUGE',
  soulspot_downloaded_bytes_total: 'COUNTER',
  soulspot_source_failures_total: 'COUNTER',
  soulspot_downloads_completed_total: 'COUNTER',
  soulspot_downloads_failed_total: 'COUNTER',
  soulspot_slskd_request_duration_seconds: 'HISTOGRAM',
  soulspot_slskd_request_errors_total: 'COUNTER',
  nodejs_eventloop_lag_seconds: 'GAUGE',
};

async function scrape(
  stack: Stack,
  headers: Record<string, string>,
): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${stack.soulspot.url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function families(stack: Stack): Promise<Map<string, ParsedFamily>> {
  const res = await scrape(stack, { 'x-api-key': API_KEY });
  expect(res.status).toBe(200);
  return new Map(parse(res.text).map((f) => [f.name, f]));
}

const value = (
  fams: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined => {
  const sample = fams
    .get(name)
    ?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? undefined : Number(sample.value);
};

/** The raw sample lines of a histogram, which the parser folds together. */
const lines = (text: string, prefix: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(prefix));

describe('/metrics on a real SoulSpot with the slskd emulator', () => {
  let stack: Stack;
  let tracks: CatalogueTrack[];

  beforeAll(async () => {
    const catalogue = await buildCatalogue(mkdtempSync(path.join(tmpdir(), 'soulspot-share-')), 2);
    tracks = catalogue.tracks;
    stack = await startStack({
      users: catalogue.users,
      env: {
        SOULSPOT_METRICS_KEY: METRICS_KEY,
        SOULSPOT_MAX_RETRIES: '0',
        SOULSPOT_CIRCUIT_FAILURES: '2',
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a scrape without a key or with a wrong one, and takes either key either way', async () => {
    expect((await scrape(stack, {})).status).toBe(401);
    expect((await scrape(stack, { 'x-api-key': 'wrong-key-0123456789' })).status).toBe(401);
    expect((await scrape(stack, { authorization: `Bearer ${API_KEY}x` })).status).toBe(401);
    expect((await scrape(stack, { authorization: `Basic ${METRICS_KEY}` })).status).toBe(401);
    // The metrics key opens /metrics only, not the API.
    const api = await fetch(`${stack.soulspot.url}/api/downloads`, {
      headers: { 'x-api-key': METRICS_KEY },
    });
    expect(api.status).toBe(401);
    const accepted: Record<string, string>[] = [
      { 'x-api-key': API_KEY },
      { 'x-api-key': METRICS_KEY },
      { authorization: `Bearer ${METRICS_KEY}` },
      { authorization: `Bearer ${API_KEY}` },
    ];
    for (const headers of accepted) {
      const res = await scrape(stack, headers);
      expect(res.status).toBe(200);
      expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    }
  });

  it('counts downloads, failures by code, bytes, queue depth and slskd requests', async () => {
    for (const t of tracks) {
      expect((await stack.api('POST', '/api/downloads', requestFor(t))).status).toBe(201);
    }
    const missing = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'Nobody Shares',
      title: 'This Track',
    });
    expect(missing.status).toBe(201);
    const done = await stack.waitFor(
      (items) =>
        items.length === 3 && items.every((d) => d.status === 'completed' || d.status === 'failed'),
      60_000,
    );
    const failed = done.find((d) => d.id === missing.body.id)!;
    expect(failed.status).toBe('failed');
    const completed = done.filter((d) => d.status === 'completed');
    expect(completed).toHaveLength(2);
    const bytes = tracks.reduce((sum, t) => sum + statSync(t.expected.localPath).size, 0);

    // Counters are fed from the event log as it is tailed: wait for the last event to be counted.
    const fams = await waitUntil(
      async () => {
        const f = await families(stack);
        return value(f, 'soulspot_downloads_failed_total', { code: failed.errorCode! }) === 1
          ? f
          : null;
      },
      { what: 'the failure to be counted' },
    );
    for (const [name, type] of Object.entries(FAMILIES)) {
      expect(fams.get(name)?.type, name).toBe(type);
    }
    // No notification target is configured: the outbox holds only the in-app toasts, which are
    // delivered once their group window closes, so the backlog drains to 0.
    expect(fams.get('soulspot_outbox_backlog')?.type).toBe('GAUGE');
    await waitUntil(async () => value(await families(stack), 'soulspot_outbox_backlog') === 0, {
      what: 'the outbox backlog to drain',
    });

    // The queue depth is counted at most every 5 s: the scrapes of the test before may have
    // counted the empty queue less than 5 s ago (a fast machine finishes the downloads sooner).
    const depth = await waitUntil(
      async () => {
        const rows = (await families(stack)).get('soulspot_queue_downloads')?.metrics ?? [];
        const n = (status: string) => rows.find((r) => r.labels?.status === status)?.value;
        return n('completed') === '2' && n('failed') === '1' ? rows : null;
      },
      { what: 'the queue depth to be counted again' },
    );
    expect(depth).toEqual(
      expect.arrayContaining([
        { value: '2', labels: { status: 'completed', hold: 'none' } },
        { value: '1', labels: { status: 'failed', hold: 'none' } },
      ]),
    );
    expect(depth).toHaveLength(2);
    expect(value(fams, 'soulspot_downloads_completed_total')).toBe(2);
    expect(fams.get('soulspot_downloads_failed_total')?.metrics).toEqual([
      { value: '1', labels: { code: failed.errorCode } },
    ]);
    expect(value(fams, 'soulspot_downloaded_bytes_total')).toBe(bytes);
    expect(value(fams, 'soulspot_transfers_active')).toBe(0);
    expect(value(fams, 'soulspot_transfer_speed_bytes_per_second')).toBe(0);
    expect(fams.get('soulspot_provider_circuit_state')?.metrics).toEqual([
      { value: '1', labels: { provider: 'slskd', state: 'closed' } },
      { value: '0', labels: { provider: 'slskd', state: 'half-open' } },
      { value: '0', labels: { provider: 'slskd', state: 'open' } },
    ]);
    expect(value(fams, 'soulspot_provider_up', { provider: 'slskd' })).toBe(1);
    expect(value(fams, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);

    const text = (await scrape(stack, { 'x-api-key': API_KEY })).text;
    const counts = lines(text, 'soulspot_slskd_request_duration_seconds_count{');
    const routes = new Set(counts.map((l) => /route="([^"]*)"/.exec(l)?.[1]));
    for (const route of [
      '/application',
      '/searches',
      '/searches/{id}',
      '/transfers/downloads',
      '/transfers/downloads/{username}/{id}',
    ]) {
      expect(routes, route).toContain(route);
    }
    // Labels are route templates: no peer name and no id ever becomes a label value.
    for (const t of tracks) expect(text).not.toContain(t.expected.username);
    expect(text).toMatch(
      /soulspot_slskd_request_duration_seconds_count\{route="\/searches",method="POST",status="20\d"\} [1-9]/,
    );
  });

  it('counts slskd errors and shows the circuit open once slskd is gone', async () => {
    await stack.emulator.stop();
    const fams = await waitUntil(
      async () => {
        const f = await families(stack);
        return value(f, 'soulspot_provider_circuit_state', { state: 'open' }) === 1 ? f : null;
      },
      { what: 'the circuit to open' },
    );
    expect(value(fams, 'soulspot_provider_up', { provider: 'slskd' })).toBe(0);
    const errors = fams.get('soulspot_slskd_request_errors_total')?.metrics ?? [];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          labels: { route: '/application', method: 'GET', code: 'slskd_unavailable' },
        }),
      ]),
    );
    const text = (await scrape(stack, { 'x-api-key': API_KEY })).text;
    expect(text).toMatch(
      /soulspot_slskd_request_duration_seconds_count\{route="\/application",method="GET",status="none"\} [1-9]/,
    );
    await stack.emulator.start();
  });
});
