import type { DatabaseHandle } from '../db/database.js';
import type { EventLog } from '../events/event-log.js';
import { WAKE_ROUND, type RetryWakeRepository } from './retry-wake.repository.js';

/**
 * Puts every download whose retry backoff has ended back in the claim's order (docs/architecture.md,
 * "Waiting for a retry"), the runner's step before each round of claims. Each round of at most
 * WAKE_ROUND rows is one transaction with its `downloads.changed` event (`retry_due`), so a client
 * showing "retries at …" refetches those rows, and the event log replays the change like any other.
 * Nothing due: no transaction at all (the runner asks before every round of claims). Returns how
 * many woke.
 */
export async function wakeDueRetries(deps: {
  handle: DatabaseHandle;
  retries: RetryWakeRepository;
  events: Pick<EventLog, 'append' | 'wake'>;
  now: number;
}): Promise<number> {
  if (!(await deps.retries.anyDue(deps.now))) return 0;
  let woken = 0;
  for (;;) {
    const ids = await deps.handle.writeTx(async (tx) => {
      const round = await deps.retries.wakeRetries(deps.now, tx);
      // Another process may have woken them since the look (a round with none writes no event).
      if (round.length > 0)
        await deps.events.append(tx, 'downloads.changed', { action: 'retry_due', ids: round });
      return round;
    });
    woken += ids.length;
    if (ids.length < WAKE_ROUND) break;
  }
  if (woken > 0) deps.events.wake();
  return woken;
}
