import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../emulator/emulator.js';
import { createEventBus } from '../events/event-bus.js';
import { withCircuitBreaker } from './circuit-breaker.js';
import { ProviderError } from './provider.js';
import { createSlskdProvider } from './slskd/slskd.provider.js';
import { slskdSettings } from './slskd/slskd.settings.js';

describe('circuit breaker in front of slskd', () => {
  let emulator: Emulator | undefined;
  afterEach(async () => {
    await emulator?.close();
  });

  const setup = async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-cb-'));
    emulator = await createEmulator({
      apiKey: 'cb-key-0123456789abcdef',
      downloadsDir: path.join(root, 'dl'),
      incompleteDir: path.join(root, 'inc'),
      users: [],
    });
    const bus = createEventBus();
    const states: string[] = [];
    bus.on('provider.circuit', (e) => states.push(e.circuit));
    const inner = createSlskdProvider(
      slskdSettings({
        url: emulator.url,
        apiKey: 'cb-key-0123456789abcdef',
        requestTimeoutMs: 1000,
      }),
    );
    const provider = withCircuitBreaker(inner, { threshold: 3, halfOpenAfterMs: 300, bus });
    return { provider, states, emulator };
  };

  it('opens after consecutive daemon failures, sends nothing while open, and closes after a good probe', async () => {
    const { provider, states, emulator: emu } = await setup();
    expect((await provider.health()).state).toBe('up');
    await emu.stop();
    for (let i = 0; i < 3; i++)
      await expect(provider.listTransfers()).rejects.toBeInstanceOf(ProviderError);
    expect(provider.circuit).toBe('open');
    await emu.start();
    const before = emu.requestCounts['GET /transfers/downloads'] ?? 0;
    // Open: the call fails at once without reaching slskd, and downloads read that as "wait".
    const error = await provider.listTransfers().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect((error as ProviderError).code).toBe('slskd_unavailable');
    expect(emu.requestCounts['GET /transfers/downloads'] ?? 0).toBe(before);
    expect((await provider.health()).state).toBe('down');

    await new Promise((r) => setTimeout(r, 350));
    expect((await provider.health()).state).toBe('up');
    expect(provider.circuit).toBe('closed');
    expect(await provider.listTransfers()).toEqual([]);
    expect(states).toEqual(['open', 'half-open', 'closed']);
  });

  it('counts "not logged in to Soulseek" as down', async () => {
    const { provider, emulator: emu } = await setup();
    emu.setLoggedIn(false);
    for (let i = 0; i < 3; i++) expect((await provider.health()).state).toBe('down');
    expect(provider.circuit).toBe('open');
  });

  it('does not open for peer problems', async () => {
    const { provider } = await setup();
    for (let i = 0; i < 5; i++) {
      await expect(
        provider.enqueue({
          batchId: crypto.randomUUID(),
          username: 'nobody-here',
          filename: '@@x\\a\\b.flac',
          size: 10,
        }),
      ).rejects.toMatchObject({ code: 'source_offline' });
    }
    expect(provider.circuit).toBe('closed');
  });
});
