import type { SimUser } from '../emulator/emulator.js';
import { benchStack, FIXTURES, fixtureSize } from './setup.js';

/**
 * 500 tracks through the emulator with 10 downloads at a time. The ideal is what the peers' upload
 * speeds allow with 10 slots and one transfer per peer; the rest is search and bookkeeping.
 */
export async function endToEndBench(
  tracks = 500,
  concurrency = 10,
): Promise<Record<string, number | string>> {
  const peers = 50;
  // Slow enough that transfers, not bookkeeping, dominate, as with real peers and real file sizes.
  const speed = 25_000; // bytes/s per peer
  const users: SimUser[] = Array.from({ length: peers }, (_, p) => ({
    username: `peer${p}`,
    files: [],
    behaviour: { uploadSpeed: speed },
  }));
  const requests: Array<{ artist: string; title: string }> = [];
  const bytesPerPeer = new Array<number>(peers).fill(0);
  for (let i = 0; i < tracks; i++) {
    const p = i % peers;
    const localPath = FIXTURES[i % 2] as string; // the two FLAC fixtures
    const artist = `Artist${String.fromCharCode(65 + (i % 26))}${Math.floor(i / 26)}`;
    const title = `Song${i}x`;
    users[p]!.files.push({
      remotePath: `@@p${p}\\Music\\${artist}\\Album\\01 - ${title}.flac`,
      localPath,
    });
    bytesPerPeer[p]! += fixtureSize(localPath);
    requests.push({ artist, title });
  }
  const totalBytes = bytesPerPeer.reduce((a, b) => a + b, 0);
  const idealSeconds = Math.max(
    totalBytes / (speed * concurrency),
    Math.max(...bytesPerPeer) / speed,
  );
  const stack = await benchStack(
    users,
    {
      SOULSPOT_MAX_CONCURRENT: String(concurrency),
      SOULSPOT_SEARCH_TIMEOUT_SECONDS: '1',
      SOULSPOT_POLL_INTERVAL_MS: '250',
      ...(process.env.E2E_LOG ? { SOULSPOT_LOG_LEVEL: process.env.E2E_LOG } : {}),
    },
    { emulator: { maxConcurrentSearches: 10, tickMs: 100, searchTimeoutCapMs: 200 } },
  );
  const started = performance.now();
  for (const r of requests) {
    const res = await stack.post('/api/downloads', r);
    if (res.status !== 201) throw new Error(`enqueue: ${res.status}`);
  }
  let counts: Record<string, number> = {};
  for (;;) {
    counts = await stack.soulspot.downloads.counts();
    if ((counts.completed ?? 0) + (counts.failed ?? 0) >= tracks) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const wall = (performance.now() - started) / 1000;
  const enqueues = stack.emulator.enqueues.length;
  // What the durable event log costs per download (progress updates included).
  const events = await stack.soulspot.db.db
    .selectFrom('events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const counted = stack.emulator.requestCounts;
  await stack.close();
  return {
    tracks,
    concurrency,
    completed: counts.completed ?? 0,
    failed: counts.failed ?? 0,
    'wall s': +wall.toFixed(1),
    'ideal transfer s': +idealSeconds.toFixed(1),
    'wall/ideal': +(wall / idealSeconds).toFixed(2),
    // Time each track spends on search, enqueue, polling and filing, per slot.
    'overhead/track s': +(((wall - idealSeconds) * concurrency) / tracks).toFixed(2),
    'slskd enqueues': enqueues,
    'events/completed': +(Number(events.n) / Math.max(1, counts.completed ?? 0)).toFixed(1),
    'slskd searches': stack.emulator.searchLog.length,
    'slskd list requests': counted['GET /transfers/downloads'] ?? 0,
    'slskd event reads': counted['GET /events'] ?? 0,
  };
}
