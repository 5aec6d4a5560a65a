import { createSlskdProvider } from '../src/providers/slskd/slskd.provider.js';
import { slskdSettings } from '../src/providers/slskd/slskd.settings.js';
import { createTransferMonitor } from '../src/downloads/transfer-monitor.js';
import { benchStack, FIXTURES, fixtureSize } from './setup.js';

/**
 * One transfer-sync cycle with 2,000 active transfers: the single GET /transfers/downloads, its
 * parsing and validation, and the hand-out to 2,000 watchers. The transfers sit in a remote queue
 * (a peer that never starts), as they would in a big real queue.
 */
export async function syncCycleBench(): Promise<Record<string, number | string>> {
  const file = FIXTURES[0] as string;
  const count = 2000;
  const files = Array.from({ length: count }, (_, i) => ({
    remotePath: `@@q\\Music\\Queue Band\\Album ${Math.floor(i / 20)}\\${String(i % 20).padStart(2, '0')} - Song ${i}.flac`,
    localPath: file,
  }));
  const stack = await benchStack(
    [{ username: 'busypeer', files, behaviour: { stuckInQueue: true } }],
    {},
    { runWorkers: false },
  );
  const provider = createSlskdProvider(
    slskdSettings({ url: stack.emulator.url, apiKey: 'bench-slskd-key-0123456789' }),
  );
  const size = fixtureSize(file);
  const ids: string[] = [];
  for (const [i, f] of files.entries()) {
    const t = await provider.enqueue({
      batchId: crypto.randomUUID(),
      username: 'busypeer',
      filename: f.remotePath,
      size,
    });
    ids.push(t.id);
    if (i % 500 === 499) process.stdout.write(`  enqueued ${i + 1}\n`);
  }
  const before = stack.emulator.requestCounts['GET /transfers/downloads'] ?? 0;
  const monitor = createTransferMonitor({ provider, pollIntervalMs: 60_000 });
  let delivered = 0;
  const unwatch = ids.map((id) =>
    monitor.watch(id, (u) => void (u.kind === 'status' && delivered++)),
  );
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await monitor.runCycle();
    times.push(performance.now() - t0);
  }
  monitor.stop();
  unwatch.forEach((u) => u());
  const requests = (stack.emulator.requestCounts['GET /transfers/downloads'] ?? 0) - before;
  await stack.close();
  times.sort((a, b) => a - b);
  return {
    transfers: count,
    cycles: times.length,
    'slskd requests/cycle': requests / times.length,
    'median cycle ms': +(times[2] ?? 0).toFixed(1),
    'max cycle ms': +(times.at(-1) ?? 0).toFixed(1),
    'updates delivered/cycle': delivered / times.length,
  };
}
