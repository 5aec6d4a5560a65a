/**
 * Failed logins per client address, in memory: after `limit` failures within `windowMs` the
 * address is refused (429) until the oldest of them leaves the window. Per process, which is
 * enough: the API key is long and random, the limit only keeps a guesser from flooding the log and
 * the database. Pure (the clock is passed in).
 */
export function createLoginLimiter(
  options: { limit?: number; windowMs?: number; maxAddresses?: number } = {},
) {
  const limit = options.limit ?? 10;
  const windowMs = options.windowMs ?? 60_000;
  // Bounded: a flood from many addresses must not grow the map without end.
  const maxAddresses = options.maxAddresses ?? 10_000;
  const failures = new Map<string, number[]>();

  const recent = (address: string, now: number): number[] => {
    const times = (failures.get(address) ?? []).filter((t) => now - t < windowMs);
    if (times.length === 0) failures.delete(address);
    else failures.set(address, times);
    return times;
  };

  return {
    /** Seconds to wait before trying again, or 0 when a try is allowed now. */
    retryAfterSeconds(address: string, now: number): number {
      const times = recent(address, now);
      if (times.length < limit) return 0;
      return Math.max(1, Math.ceil((times[0]! + windowMs - now) / 1000));
    },

    failed(address: string, now: number): void {
      const times = recent(address, now);
      if (!failures.has(address) && failures.size >= maxAddresses) {
        // Map order is insertion order: the address that failed first and longest ago goes.
        const oldest = failures.keys().next().value;
        if (oldest !== undefined) failures.delete(oldest);
      }
      failures.set(address, [...times, now]);
    },

    succeeded(address: string): void {
      failures.delete(address);
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;
