import { describe, expect, it } from 'vitest';
import { createTransferMonitor } from '../downloads/transfer-monitor.js';
import { createEventBus } from '../events/event-bus.js';
import { withCircuitBreaker } from './circuit-breaker.js';
import { createHealthMonitor } from './health-monitor.js';
import { createLiveProviderSet, type MemberSpec } from './live-provider-set.js';
import { providerUnavailable, type DownloadProvider } from './provider.js';

/** A provider whose listTransfers fails as "daemon down" while `down` is set. */
function fake(name: string, state: { down: boolean } = { down: false }): DownloadProvider {
  const no = () => Promise.reject(new Error('not here'));
  return {
    name,
    health: () => Promise.resolve({ state: 'up' }),
    startSearch: no,
    getSearch: no,
    deleteSearch: no,
    enqueue: no,
    findEnqueued: no,
    listTransfers: () =>
      state.down ? Promise.reject(providerUnavailable(name, 'down')) : Promise.resolve([]),
    cancel: no,
    forget: no,
    queuePosition: () => Promise.resolve(null),
    describeFailure: () => ({ code: 'unknown', message: '', daemonRestart: false, final: true }),
    localPath: () => Promise.resolve(null),
    downloadsRoot: () => Promise.resolve(null),
  };
}

function liveSet(specs: MemberSpec[]) {
  const bus = createEventBus();
  return createLiveProviderSet({
    specs,
    guard: (a) => withCircuitBreaker(a, { threshold: 1, halfOpenAfterMs: 60_000, bus }),
    monitor: (a) => createHealthMonitor({ provider: a, bus, intervalMs: 60_000 }),
  });
}

const slskd: MemberSpec = { key: 'slskd', indexer: true, client: true, make: () => fake('slskd') };

describe('live provider set', () => {
  it('keeps a member whose key did not change (its open circuit too); a changed one starts closed', async () => {
    const state = { down: true };
    let made = 0;
    const b = (key: string): MemberSpec => ({
      key,
      indexer: false,
      client: true,
      make: () => (made++, fake('b', state)),
    });
    const live = liveSet([slskd, b('b:1')]);
    await expect(live.set.client('b').listTransfers()).rejects.toThrow();
    expect(live.members()[1]!.adapter.circuit).toBe('open');
    const before = live.members()[1]!.adapter;

    live.apply([slskd, b('b:1')]);
    expect(live.members()[1]!.adapter).toBe(before);
    expect(live.members()[1]!.adapter.circuit).toBe('open');
    expect(made).toBe(1);

    live.apply([slskd, b('b:2')]);
    expect(live.members()[1]!.adapter).not.toBe(before);
    expect(live.members()[1]!.adapter.circuit).toBe('closed');
    expect(live.set.ids).toEqual(['slskd', 'b']);

    live.apply([slskd]);
    expect(live.set.ids).toEqual(['slskd']);
    // A removed client is unavailable (its downloads wait), not an error of another kind.
    expect(() => live.set.client('b')).toThrow(/no download client "b"/);
  });

  it('a transfer at a client that was removed is unavailable, not missing', async () => {
    const live = liveSet([
      slskd,
      { key: 'b', indexer: false, client: true, make: () => fake('b') },
    ]);
    const monitor = createTransferMonitor({ provider: live.set, pollIntervalMs: 20 });
    live.apply([slskd]);
    const update = await new Promise<{ kind: string }>((resolve) => {
      const off = monitor.watch(
        't1',
        (u) => {
          off();
          resolve(u);
        },
        'b',
      );
    });
    monitor.stop();
    expect(update.kind).toBe('unavailable');
  });
});
