/**
 * Group commit: concurrent callers share one transaction, and so one fsync.
 *
 * - The first item submitted while nothing is being written starts a commit at once (no added
 *   latency when idle). Items submitted while a commit is in flight queue up and form the next
 *   batch, at most `maxBatch` of them; so an item waits for at most the commit in flight and its
 *   own.
 * - A caller's promise settles only after the transaction that holds its item has committed (or
 *   failed): a `201` still means the row is durable.
 * - One bad item must not fail the others: when a batch's transaction fails, each of its items is
 *   written again alone, in its own transaction, and only the one that fails alone is refused.
 * - `enabled: false` writes every item in a transaction of its own, concurrently, as before group
 *   commit (the benchmark runs both).
 */
export interface GroupCommitOptions<I, R> {
  /** Writes the items in one transaction; returns one result per item, in order. */
  commit(items: I[]): Promise<R[]>;
  maxBatch: number;
  enabled: boolean;
}

interface Waiter<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export function createGroupCommit<I, R>(options: GroupCommitOptions<I, R>) {
  const queue: Waiter<I, R>[] = [];
  let draining = false;
  const stats = { batches: 0, items: 0, largest: 0 };

  const one = async (item: I): Promise<R> => {
    const [result] = await options.commit([item]);
    if (result === undefined) throw new Error('group commit: no result for the item');
    return result;
  };

  const write = async (batch: Waiter<I, R>[]): Promise<void> => {
    stats.batches++;
    stats.items += batch.length;
    stats.largest = Math.max(stats.largest, batch.length);
    let results: R[];
    try {
      results = await options.commit(batch.map((w) => w.item));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      for (const w of batch) await write([w]);
      return;
    }
    batch.forEach((w, i) => {
      const result = results[i];
      if (result === undefined) w.reject(new Error('group commit: no result for the item'));
      else w.resolve(result);
    });
  };

  const drain = async (): Promise<void> => {
    draining = true;
    try {
      while (queue.length > 0) {
        await write(queue.splice(0, options.maxBatch));
        // On SQLite the commit's fsync blocks the event loop, so requests that arrived meanwhile
        // are still unread sockets: one turn of the loop lets them reach the queue and join the
        // next batch instead of each starting a commit of its own right after this one.
        if (queue.length < options.maxBatch) await new Promise((r) => setImmediate(r));
      }
    } finally {
      draining = false;
    }
  };

  return {
    submit(item: I): Promise<R> {
      if (!options.enabled) return one(item);
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        if (!draining) void drain();
      });
    },
    /** Batches written, items in them, and the largest batch (benchmarks print them). */
    stats,
  };
}

export type GroupCommit<I, R> = ReturnType<typeof createGroupCommit<I, R>>;
