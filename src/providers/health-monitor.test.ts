import { describe, expect, it } from 'vitest';
import { createEventBus, type EventMap } from '../events/event-bus.js';
import { createHealthMonitor } from './health-monitor.js';
import type { ProviderHealth } from './provider.js';

const SECRET = 'secret-pw-123';
const KEY_LIKE = 'sk-0123456789abcdef0123456789';

/**
 * A daemon whose health text carries what a real one can: its URL with credentials (a connection
 * error names the address) and its own error body (which may echo a key).
 */
function monitorFor(answers: ProviderHealth[]) {
  const bus = createEventBus();
  const events: Array<EventMap['provider.health']> = [];
  bus.on('provider.health', (e) => events.push(e));
  const logged: Array<{ details: object; message: string }> = [];
  const log = {
    warn: (details: object, message: string) => logged.push({ details, message }),
    info: (details: object, message: string) => logged.push({ details, message }),
  };
  let i = 0;
  const provider = {
    name: 'slskd',
    health: async (): Promise<ProviderHealth> => answers[Math.min(i++, answers.length - 1)]!,
  };
  const monitor = createHealthMonitor({ provider, bus, intervalMs: 60_000, log });
  return { monitor, events, logged };
}

const leaky = `slskd is unreachable at http://user:${SECRET}@host:5030 (ECONNREFUSED); body: {"apiKey":"${KEY_LIKE}"}`;

describe('the health monitor', () => {
  it.each<[string, ProviderHealth, string]>([
    ['unreachable', { state: 'down', message: leaky }, 'slskd is unreachable'],
    [
      'not logged in',
      { state: 'down', offline: true, message: `not logged in (${leaky})` },
      'slskd is not logged in to Soulseek',
    ],
    ['down without a message', { state: 'down' }, 'slskd is unreachable'],
  ])('shows only its own words when slskd is %s', async (_name, answer, wording) => {
    const { monitor, events } = monitorFor([answer]);
    await monitor.check();
    expect(monitor.current).toMatchObject({ state: 'down', message: wording });
    expect(events).toEqual([{ provider: 'slskd', state: 'down', message: wording }]);
    const shown = JSON.stringify([monitor.current, events]);
    for (const secret of [SECRET, KEY_LIKE, 'user:', 'ECONNREFUSED']) {
      expect(shown).not.toContain(secret);
    }
  });

  it('passes a version through only when it looks like one', async () => {
    const { monitor } = monitorFor([
      { state: 'up', version: '0.26.0' },
      { state: 'up', version: `http://user:${SECRET}@host` },
    ]);
    await monitor.check();
    expect(monitor.current).toMatchObject({ state: 'up', version: '0.26.0' });
    expect(monitor.current.message).toBeUndefined();
    await monitor.check();
    expect(monitor.current.version).toBeUndefined();
  });

  it("logs the daemon's own text once per change, for whoever runs SoulSpot", async () => {
    const { monitor, logged } = monitorFor([
      { state: 'down', message: 'first' },
      { state: 'down', message: 'first' },
      { state: 'down', message: 'second' },
      { state: 'up' },
    ]);
    for (let n = 0; n < 4; n++) await monitor.check();
    expect(logged).toEqual([
      { details: { provider: 'slskd', detail: 'first' }, message: 'provider down' },
      { details: { provider: 'slskd', detail: 'second' }, message: 'provider down' },
      { details: { provider: 'slskd' }, message: 'provider up again' },
    ]);
  });

  it('treats a probe that throws as unreachable, without its text', async () => {
    const bus = createEventBus();
    const monitor = createHealthMonitor({
      provider: {
        name: 'slskd',
        health: () => Promise.reject(new Error(`boom http://u:${SECRET}@h`)),
      },
      bus,
      intervalMs: 60_000,
    });
    await monitor.check();
    expect(monitor.current).toMatchObject({ state: 'down', message: 'slskd is unreachable' });
  });
});

describe('provider.offline and provider.online', () => {
  it('announce going down (also from the start) and coming back, not a normal start', async () => {
    const bus = createEventBus();
    const seen: string[] = [];
    bus.on('provider.offline', (e) => seen.push(`offline ${e.message}`));
    bus.on('provider.online', (e) => seen.push(`online ${e.provider}`));
    const answers: ProviderHealth[] = [
      { state: 'up' },
      { state: 'up' },
      { state: 'down', message: leaky },
      { state: 'down', offline: true },
      { state: 'up' },
    ];
    let i = 0;
    const monitor = createHealthMonitor({
      provider: { name: 'slskd', health: async () => answers[i++]! },
      bus,
      intervalMs: 60_000,
    });
    for (let k = 0; k < answers.length; k++) await monitor.check();
    // The daemon's own text (with its credentials) never reaches the event.
    expect(seen).toEqual(['offline slskd is unreachable', 'online slskd']);

    const cold = createEventBus();
    const coldSeen: string[] = [];
    cold.on('provider.offline', () => coldSeen.push('offline'));
    await createHealthMonitor({
      provider: { name: 'slskd', health: async () => ({ state: 'down' }) },
      bus: cold,
      intervalMs: 60_000,
    }).check();
    expect(coldSeen).toEqual(['offline']);
  });
});
