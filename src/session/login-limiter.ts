import ipaddr from 'ipaddr.js';

/**
 * The key an address is counted under. An IPv6 client is counted by its /64: one home or one
 * server gets a whole /64 and can pick any address in it, so counting exact addresses would give a
 * guesser 2^64 fresh budgets. IPv4 (and IPv4-mapped IPv6, `::ffff:1.2.3.4`) stays exact. Anything
 * that does not parse (a test's label) is its own key.
 */
export function limiterKey(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  if (ip.kind() === 'ipv4') return ip.toString();
  const parts = (ip as ipaddr.IPv6).parts.slice(0, 4);
  const net = new ipaddr.IPv6([...parts, 0, 0, 0, 0]);
  return `${net.toString()}/64`;
}

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
    address = limiterKey(address);
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

    failed(client: string, now: number): void {
      const times = recent(client, now);
      const address = limiterKey(client);
      if (!failures.has(address) && failures.size >= maxAddresses) {
        // Map order is insertion order: the address that failed first and longest ago goes.
        const oldest = failures.keys().next().value;
        if (oldest !== undefined) failures.delete(oldest);
      }
      failures.set(address, [...times, now]);
    },

    succeeded(address: string): void {
      failures.delete(limiterKey(address));
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;
