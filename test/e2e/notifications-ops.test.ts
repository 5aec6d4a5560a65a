import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import parse from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import type { HealthCheck } from '../../src/health/health-checks.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { API_KEY, fastEnv, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

/**
 * The notifications wired into the rest of the app as main.ts does it (no injected functions):
 * a target whose receiver keeps failing turns the `notifications` health check red, and the
 * delivery it retries counts in `soulspot_outbox_backlog`.
 */
describe('a failing notification target in /api/health and /metrics', () => {
  let root: string;
  let emulator: Emulator;
  let soulspot: SoulSpot;
  let receiver: Receiver;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-notify-ops-'));
    emulator = await startEmulatorIn(root, []);
    receiver = await startReceiver(() => 503);
    soulspot = await startSoulSpot(
      loadConfig({ ...fastEnv(root), SOULSPOT_SLSKD_URL: emulator.url }),
      { health: { cacheMs: 0 } },
    );
  });
  afterAll(async () => {
    await soulspot?.stop();
    await receiver?.close();
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    soulspot.app.inject({ method, url, headers: { 'x-api-key': API_KEY }, payload });
  const check = async (): Promise<HealthCheck | undefined> => {
    const body = (await call('GET', '/api/health')).json<{ checks: HealthCheck[] }>();
    return body.checks.find((c) => c.name === 'notifications');
  };
  const backlog = async (): Promise<number> => {
    const res = await call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    const family = parse(res.body).find((f) => f.name === 'soulspot_outbox_backlog');
    return Number(family?.metrics[0]?.value);
  };

  it('is ok without targets, then an error while the only target fails, with its delivery in the backlog', async () => {
    expect(await check()).toMatchObject({ status: 'ok' });
    expect(await backlog()).toBe(0);

    const allowed = await call('PATCH', '/api/settings', {
      allowedPrivateTargets: [`127.0.0.1:${receiver.port}`],
      // No toasts: the backlog then holds this target's delivery alone.
      toastEvents: [],
    });
    expect(allowed.statusCode, allowed.body).toBe(200);
    const created = await call('POST', '/api/notifications', {
      name: 'always down',
      type: 'webhook',
      url: `${receiver.url}/hook`,
      events: ['batch.completed'],
    });
    expect(created.statusCode, created.body).toBe(201);
    // A batch over an id that does not exist still completes (with one failure) and is announced.
    const batch = await call('POST', '/api/downloads/batch', {
      ids: ['00000000-0000-4000-8000-000000000000'],
      action: 'cancel',
    });
    expect(batch.statusCode, batch.body).toBe(200);

    await waitUntil(() => receiver.requests.length >= 1, { what: 'the first delivery attempt' });
    const red = await waitUntil(
      async () => {
        const c = await check();
        return c?.status === 'error' ? c : null;
      },
      { what: 'the notifications check to turn red' },
    );
    expect(red.message).toBe('1 of 1 notification targets are failing (see their deliveries)');
    // The failed delivery waits for its retry: it is the outbox's backlog.
    expect(await backlog()).toBe(1);
  });
});
