import type { DatabaseHandle } from '../db/database.js';
import type { Logger } from '../downloads/download.job.js';
import type { ProfileLookup } from '../downloads/profile-check.js';
import type { SafeFetchOptions } from '../net/safe-fetch.js';
import { acceptPending, type AcceptTargets } from './feed-accept.js';
import { pollClaimed } from './feed-poll.js';
import { POLL_LEASE_MS } from './feed-schedule.js';
import { createFeedsRepository } from './feeds.repository.js';
import { createFeedsService, type FeedsService } from './feeds.service.js';

export interface FeedsSetupDeps {
  handle: DatabaseHandle;
  /** The ordinary accept paths: the albums service and the downloads service. */
  targets: AcceptTargets;
  profiles?: ProfileLookup;
  /** The provider ids a rule may name: the configured indexers (feeds.service.ts). */
  providers: () => readonly string[];
  /** This process's stable id (main.ts's instance id): leases and claims carry it. */
  owner: string;
  now?: () => number;
  log: Pick<Logger, 'warn'>;
  /** Feeds polled at once, at most, per process. */
  concurrency?: number;
  /** Longest sleep between looks at the schedule (other processes' new feeds are seen then). */
  idleMs?: number;
  resolve?: SafeFetchOptions['resolve'];
  maxBytes?: number;
  timeoutMs?: number;
}

export interface Feeds {
  service: FeedsService;
  /** Takes back this process's own leases and claims (a crash), accepts what is pending, polls what is due. */
  start(): Promise<void>;
  /** One look now: due feeds polled, pending matches accepted (what the timer runs). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Feeds and the watchlist, wired: the service for the routes and one scheduler per process.
 *
 * The schedule is the feeds table itself (next_poll_at, taken by a conditional UPDATE), as the
 * download row is the queue: a timer here sleeps until the soonest due feed (at most `idleMs`),
 * polls the due ones `concurrency` at a time, then accepts the pending matches. Several processes
 * may run this over one database: the claim lets one of them poll a feed per interval.
 */
export function setUpFeeds(deps: FeedsSetupDeps): Feeds {
  const now = deps.now ?? Date.now;
  const repo = createFeedsRepository(deps.handle.db);
  const concurrency = deps.concurrency ?? 4;
  const idleMs = deps.idleMs ?? 30_000;
  const stopping = new AbortController();
  const pollDeps = {
    signal: stopping.signal,
    handle: deps.handle,
    repo,
    owner: deps.owner,
    now,
    ...(deps.resolve ? { resolve: deps.resolve } : {}),
    ...(deps.maxBytes ? { maxBytes: deps.maxBytes } : {}),
    ...(deps.timeoutMs ? { timeoutMs: deps.timeoutMs } : {}),
  };
  const acceptDeps = { repo, owner: deps.owner, now, log: deps.log, targets: deps.targets };

  // One drain at a time in this process: a second caller waits for the running one, then runs
  // again (what it wants accepted may have been recorded after the first one's read).
  let draining: Promise<void> = Promise.resolve();
  const drain = (): Promise<void> => {
    const run = draining.then(async () => {
      while ((await acceptPending(acceptDeps)) > 0) {
        /* until a round settles nothing */
      }
    });
    draining = run.catch(() => undefined);
    return run;
  };

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = true;

  async function pollDue(): Promise<void> {
    const due = await repo.dueFeeds(now(), 100);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < due.length) {
        const id = due[next++] as string;
        const t = now();
        const claimed = await repo.claim(id, {
          owner: deps.owner,
          now: t,
          until: t + POLL_LEASE_MS,
          dueOnly: true,
        });
        if (claimed) await pollClaimed(pollDeps, claimed);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, due.length) }, worker));
  }

  async function tick(): Promise<void> {
    try {
      await pollDue();
      await drain();
    } catch (error) {
      deps.log.warn({ error: String(error) }, 'feed poll round failed');
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (running) return;
      running = (async () => {
        await tick();
        const at = await repo.nextDueAt().catch(() => null);
        running = null;
        schedule(at === null ? idleMs : Math.max(250, Math.min(idleMs, at - now())));
      })();
    }, delayMs);
  }

  const service = createFeedsService({
    ...pollDeps,
    profiles: deps.profiles,
    providers: deps.providers,
    acceptPending: drain,
    kick: () => {
      if (!running) schedule(0);
    },
  });

  return {
    service,
    tick,
    async start() {
      stopped = false;
      await repo.releaseOwnLeases(deps.owner);
      await repo.releaseOwnClaims(deps.owner);
      schedule(0);
    },
    async stop() {
      stopped = true;
      stopping.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      await draining;
    },
  };
}
