import type { Emulator, SimUser } from '../emulator/emulator.js';
import type { SoulSpot } from '../src/main.js';
import { FIXTURES, percentile, SLSKD_KEY } from './setup.js';

export const REFILL_TRACKS = 40;
export const REFILL_SLOTS = 4;
/**
 * Bytes/s each refill peer uploads at: the fixtures (22–29 KB) take 1.1–1.5 s. A transfer shorter
 * than a search (the emulator runs 2 at once, 200 ms each) made the run measure the search rate,
 * not the refill: the next download's search could not be done ahead in time.
 */
export const REFILL_UPLOAD_SPEED = 20_000;

/**
 * The refill run's peers and tracks: each track at a peer of its own, so the next download's source
 * is never held by the per-user limit (1 by default) and what is measured is the slot's refill, not
 * a wait for a busy peer.
 */
export function refillCatalogue(): {
  users: SimUser[];
  tracks: Array<{ artist: string; title: string }>;
} {
  const users: SimUser[] = [];
  const tracks: Array<{ artist: string; title: string }> = [];
  for (let i = 0; i < REFILL_TRACKS; i++) {
    const artist = `Refill Artist ${i}`;
    const title = `Refill Song ${i}`;
    users.push({
      username: `peer${i}`,
      behaviour: { uploadSpeed: REFILL_UPLOAD_SPEED },
      files: [
        {
          remotePath: `@@r${i}\\Music\\${artist}\\Album\\01 - ${title}.flac`,
          localPath: FIXTURES[i % 2] as string,
        },
      ],
    });
    tracks.push({ artist, title });
  }
  return { users, tracks };
}

export interface RefillResult {
  /** Sorted gaps, ms: a transfer's endedAt at the emulator → the next enqueue there. */
  refills: number[];
  /** Where the time of a download's end goes, p50/p99 in ms (see below). */
  phases: Record<string, string>;
}

/**
 * Slot refill as the emulator sees it: every transfer's `endedAt` (read from its transfer list every
 * 20 ms) and every enqueue it received. Each end after which a download still waited is followed by
 * an enqueue; the gap between them is the refill. The phases split one download's end: `detect`
 * (endedAt → the worker records the transfer done, the commit that gives its transfer slot back),
 * `next` (→ the next enqueue at the emulator: claim, search unless done ahead, per-user check,
 * enqueue), split into `source chosen` (→ the next download's `queued` write) and `enqueue` (→ the
 * emulator has it); `file` (transfer done → filed, the wait for a filing slot included: it overlaps
 * with the next transfers and is no part of the refill); `searched at claim` counts downloads
 * whose worker searched because no search ahead was ready.
 */
export async function measureRefill(
  soulspot: SoulSpot,
  emulator: Emulator,
  post: (body: { artist: string; title: string }) => Promise<void>,
  tracks: Array<{ artist: string; title: string }>,
): Promise<RefillResult> {
  const ended = new Map<string, number>();
  const seen = new Map<
    string,
    { searching?: number; queued?: number; processing?: number; done?: number }
  >();
  // Finished downloads of this run, counted from the events: a poll of the table by artist would be
  // a sequential scan of 100,000 rows every 100 ms, load that is no part of SoulSpot's refill.
  const artists = new Set(tracks.map((t) => t.artist));
  const finished = new Set<string>();
  const off = soulspot.bus.on('download.updated', (d) => {
    if ((d.status === 'completed' || d.status === 'failed') && artists.has(d.artist))
      finished.add(d.id);
    const s = seen.get(d.id) ?? {};
    if (d.status === 'searching') s.searching ??= Date.now();
    if (d.status === 'queued') s.queued ??= Date.now();
    if (d.status === 'processing') s.processing ??= Date.now();
    if (d.status === 'completed' || d.status === 'failed') s.done ??= Date.now();
    seen.set(d.id, s);
  });
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const res = await fetch(`${emulator.url}/api/v0/transfers/downloads`, {
        headers: { 'x-api-key': SLSKD_KEY },
      }).catch(() => null);
      const users = res?.ok ? ((await res.json()) as TransferUser[]) : [];
      for (const u of users)
        for (const d of u.directories)
          for (const f of d.files)
            if (f.endedAt && f.state.startsWith('Completed'))
              ended.set(f.id, Date.parse(`${f.endedAt.replace(/Z?$/, 'Z')}`));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const enqueuesBefore = emulator.enqueues.length;
  for (const r of tracks) await post(r);
  const deadline = Date.now() + 180_000;
  while (finished.size < tracks.length && Date.now() <= deadline)
    await new Promise((r) => setTimeout(r, 100));
  polling = false;
  await poller;
  off();
  const enqueues = emulator.enqueues.slice(enqueuesBefore);
  const enqueueTimes = enqueues.map((e) => e.at).sort((a, b) => a - b);
  const ends = [...ended.values()].sort((a, b) => a - b);
  const refills: number[] = [];
  for (const end of ends.slice(0, Math.max(0, enqueueTimes.length - REFILL_SLOTS))) {
    const next = enqueueTimes.find((t) => t >= end);
    if (next !== undefined) refills.push(next - end);
  }
  refills.sort((a, b) => a - b);

  // Phases per download, joined through the attempt's transfer id.
  const attempts = await soulspot.db.db
    .selectFrom('attempts')
    .select(['download_id', 'transfer_id'])
    .where('state', '=', 'succeeded')
    .execute();
  const detect: number[] = [];
  const file: number[] = [];
  const next: number[] = [];
  const claim: number[] = [];
  const enqueue: number[] = [];
  // The next download's start after each end: its source written (`queued`, after a claim and a
  // search unless one was done ahead) and its enqueue reaching the emulator.
  const queuedTimes = [...seen.values()].flatMap((s) => (s.queued ? [s.queued] : []));
  queuedTimes.sort((a, b) => a - b);
  for (const a of attempts) {
    const end = a.transfer_id ? ended.get(a.transfer_id) : undefined;
    const s = seen.get(a.download_id);
    if (end === undefined || !s?.processing || !s.done) continue;
    detect.push(s.processing - end);
    file.push(s.done - s.processing);
    // The transfer slot is free from the transfer-done commit (filing has slots of its own).
    const freed = s.processing;
    const n = enqueueTimes.find((t) => t >= freed);
    if (n === undefined || ends.indexOf(end) >= ends.length - REFILL_SLOTS) continue;
    next.push(n - freed);
    const q = queuedTimes.find((t) => t >= freed);
    if (q === undefined) continue;
    claim.push(q - freed);
    const e = enqueueTimes.find((t) => t >= q);
    if (e !== undefined) enqueue.push(e - q);
  }
  const searchedByWorker = [...seen.values()].filter((s) => s.searching).length;
  const p = (xs: number[]): string => {
    xs.sort((x, y) => x - y);
    return `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 99).toFixed(0)} ms`;
  };
  return {
    refills,
    phases: {
      'detect p50/p99': p(detect),
      'file p50/p99': p(file),
      'next p50/p99': p(next),
      'next: source chosen p50/p99': p(claim),
      'next: enqueue p50/p99': p(enqueue),
      'searched at claim': `${searchedByWorker} of ${tracks.length}`,
    },
  };
}

interface TransferUser {
  directories: Array<{ files: Array<{ id: string; state: string; endedAt?: string }> }>;
}

/** `npm run bench refill`: the refill part of the queue benchmark alone, on an empty database. */
export async function refillBench(databaseUrl?: string): Promise<Record<string, string>> {
  const { benchStack } = await import('./setup.js');
  const { freshPgDatabase } = await import('../test/helpers/db.js');
  const pgDb = databaseUrl ? await freshPgDatabase(databaseUrl) : undefined;
  const { users, tracks } = refillCatalogue();
  const stack = await benchStack(users, {
    ...(pgDb ? { SOULSPOT_DATABASE_URL: pgDb.url } : {}),
    SOULSPOT_MAX_CONCURRENT: String(REFILL_SLOTS),
    SOULSPOT_SEARCH_TIMEOUT_SECONDS: '1',
    SOULSPOT_POLL_INTERVAL_MS: '100',
  });
  const result = await measureRefill(
    stack.soulspot,
    stack.emulator,
    async (body) => {
      const res = await stack.post('/api/downloads', body);
      await res.arrayBuffer();
    },
    tracks,
  );
  await stack.close();
  await pgDb?.drop();
  const { refills } = result;
  return {
    storage: databaseUrl ? 'postgres' : 'sqlite',
    'slot refill p50': `${percentile(refills, 50).toFixed(1)} ms`,
    'slot refill p99': `${percentile(refills, 99).toFixed(1)} ms (${refills.length} refills)`,
    ...result.phases,
  };
}
