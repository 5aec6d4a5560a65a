import ipaddr from 'ipaddr.js';

/**
 * Which network addresses SoulSpot may connect to when it fetches a URL someone else chose (a cover
 * URL today; webhooks and feeds later). Pure: safe-fetch.ts resolves the name, asks here about
 * every address, and connects only to one that passed.
 *
 * Only global unicast is allowed by default. Everything that reaches this machine or its networks
 * is refused: loopback, RFC 1918 private, link-local (cloud metadata at 169.254.169.254), IPv6
 * unique-local, CGNAT (100.64/10), multicast, broadcast, unspecified (0.0.0.0 and :: connect to
 * this host), reserved and documentation ranges. IPv4-mapped IPv6 (::ffff:a.b.c.d) is refused
 * whatever it maps to: a public name has no business resolving to one, and some stacks connect to
 * the embedded IPv4 address, which would slip past a check of the IPv6 range. NAT64 (64:ff9b::/96)
 * is judged by the IPv4 address it embeds, since DNS64 networks hand those out for public hosts.
 */
export interface AddressPolicy {
  /** Allow 127.0.0.0/8 and ::1 (tests, a cover server on the same host). */
  allowLoopback?: boolean;
  /** CIDR ranges allowed whatever their class, e.g. "192.168.1.0/24" for a LAN image server. */
  allowedRanges?: readonly string[];
  /**
   * `host[:port]` or CIDR entries (the `allowedPrivateTargets` setting, for notification targets):
   * a host entry allows whatever that name (or IP literal) resolves to, on that port if one is
   * given; a CIDR entry allows its addresses on any port. Judged by `checkTarget`, which knows the
   * URL's host and port; `checkAddress` alone reads only the CIDR entries.
   */
  allowedTargets?: readonly string[];
  /** Which setting lets a refused address through, for the refusal's wording. */
  settingName?: string;
}

export type AddressVerdict = { ok: true; address: string } | { ok: false; reason: string };

/** Classes of IPv4 ranges refused by default (ipaddr.js names). */
const REFUSED_V4 = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'as112',
  'amt',
]);

/** IPv6 ranges allowed: global unicast only (NAT64 is unwrapped first). */
const ALLOWED_V6 = new Set(['unicast']);
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96') as [ipaddr.IPv6, number];
const LOCAL_NAT64 = ipaddr.parseCIDR('64:ff9b:1::/48') as [ipaddr.IPv6, number];

/** Whether SoulSpot may connect to `address` (an IP literal) under `policy`. */
export function checkAddress(address: string, policy: AddressPolicy = {}): AddressVerdict {
  const raw = stripBrackets(address);
  if (!ipaddr.isValid(raw)) return { ok: false, reason: `${address} is not an IP address` };
  const parsed = ipaddr.parse(raw);
  const canonical = parsed.toString();
  // The entries as the setting parsed them (trimmed): an entry it accepted with blanks around it
  // made parseCIDR throw here, and with it every fetch under the policy, public ones too.
  const ranges = [
    ...(policy.allowedRanges ?? []),
    ...(policy.allowedTargets ?? []).flatMap((t) => {
      const parsed = parseAllowedTarget(t);
      return parsed?.kind === 'cidr' ? [parsed.range] : [];
    }),
  ];
  for (const range of ranges) {
    const [net, bits] = ipaddr.parseCIDR(range);
    if (net.kind() === parsed.kind() && parsed.match([net, bits] as never))
      return { ok: true, address: canonical };
  }
  const refuse = (what: string): AddressVerdict => ({
    ok: false,
    reason: `${address} is ${what}: refused (allow it with the ${policy.settingName ?? 'fetchAllowedRanges'} setting)`,
  });
  if (parsed.kind() === 'ipv4') {
    const range = (parsed as ipaddr.IPv4).range();
    if (range === 'loopback' && policy.allowLoopback) return { ok: true, address: canonical };
    return REFUSED_V4.has(range) ? refuse(`a ${range} address`) : { ok: true, address: canonical };
  }
  const v6 = parsed as ipaddr.IPv6;
  const range = v6.range();
  if (range === 'ipv4Mapped') return refuse('an IPv4-mapped IPv6 address');
  // 64:ff9b:1::/48 (RFC 8215, local-use NAT64): where the IPv4 address sits depends on the local
  // prefix length, so it cannot be unwrapped and checked; ipaddr.js counts it as rfc6052.
  if (v6.match(LOCAL_NAT64)) return refuse('a local-use NAT64 address');
  if (range === 'loopback' && policy.allowLoopback) return { ok: true, address: canonical };
  // ::/96, deprecated IPv4-compatible addresses (::7f00:1 is 127.0.0.1): ipaddr.js calls them
  // unicast, and some stacks still route them to the IPv4 address.
  if (v6.match(IPV4_COMPATIBLE)) return refuse('an IPv4-compatible IPv6 address');
  if (range === 'rfc6052') {
    // 64:ff9b::/96: the last 32 bits are the IPv4 address a NAT64 gateway will connect to.
    const parts = v6.toByteArray().slice(12);
    const inner = checkAddress(parts.join('.'), policy);
    return inner.ok ? { ok: true, address: canonical } : inner;
  }
  return ALLOWED_V6.has(range) ? { ok: true, address: canonical } : refuse(`a ${range} address`);
}

/** The problem with a CIDR range as the setting takes it ("10.0.0.0/8", "fd00::/8"), or null. */
export function cidrProblem(range: string): string | null {
  try {
    ipaddr.parseCIDR(range);
    return null;
  } catch {
    return `"${range}" is not a CIDR range such as "192.168.1.0/24" or "fd00::/8"`;
  }
}

/** One `allowedPrivateTargets` entry: a CIDR range, or a host (name or IP literal) with an optional port. */
export type AllowedTarget =
  { kind: 'cidr'; range: string } | { kind: 'host'; host: string; port: number | null };

/** Parses an entry ("192.168.1.0/24", "gotify.lan", "10.0.0.5:8080", "[fd00::1]:80"), or null. */
export function parseAllowedTarget(entry: string): AllowedTarget | null {
  const e = entry.trim();
  if (e.includes('/')) return cidrProblem(e) === null ? { kind: 'cidr', range: e } : null;
  let host = e;
  let port: number | null = null;
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(e);
  if (bracketed) {
    host = bracketed[1] as string;
    port = bracketed[2] === undefined ? null : Number(bracketed[2]);
  } else if (!ipaddr.IPv6.isValid(e)) {
    const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(e);
    if (!m) return null;
    host = m[1] as string;
    port = m[2] === undefined ? null : Number(m[2]);
  }
  if (port !== null && (port < 1 || port > 65_535)) return null;
  if (
    !ipaddr.isValid(host) &&
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(host)
  )
    return null;
  const canonical = ipaddr.isValid(host) ? ipaddr.parse(host).toString() : host.toLowerCase();
  return { kind: 'host', host: canonical, port };
}

/** The problem with an `allowedPrivateTargets` entry, or null. */
export function allowedTargetProblem(entry: string): string | null {
  return parseAllowedTarget(entry) === null
    ? `"${entry}" is not a host[:port] such as "gotify.lan:8080" or a CIDR range such as "192.168.1.0/24"`
    : null;
}

/**
 * Whether SoulSpot may connect to `address`, resolved from the URL host `host` (name or literal),
 * on `port`: a host entry of `allowedTargets` naming that host (and that port, if it names one)
 * allows it whatever its class; otherwise `checkAddress` decides (CIDR entries included).
 */
export function checkTarget(
  target: { host: string; port: number; address: string },
  policy: AddressPolicy = {},
): AddressVerdict {
  const host = stripBrackets(target.host).toLowerCase();
  const hostKey = ipaddr.isValid(host) ? ipaddr.parse(host).toString() : host;
  const raw = stripBrackets(target.address);
  for (const entry of policy.allowedTargets ?? []) {
    const parsed = parseAllowedTarget(entry);
    if (parsed?.kind !== 'host') continue;
    if (parsed.port !== null && parsed.port !== target.port) continue;
    const addressKey = ipaddr.isValid(raw) ? ipaddr.parse(raw).toString() : raw;
    if (parsed.host === hostKey || parsed.host === addressKey)
      return ipaddr.isValid(raw)
        ? { ok: true, address: ipaddr.parse(raw).toString() }
        : { ok: false, reason: `${target.address} is not an IP address` };
  }
  return checkAddress(target.address, policy);
}

/**
 * The verdict on a URL's host when it is an IP literal or `localhost` (which always means this
 * machine), without any name resolution: what a target's create or update can refuse at once.
 * null for other names (they are checked at each delivery, after resolving).
 */
export function checkLiteralHost(
  host: string,
  port: number,
  policy: AddressPolicy = {},
): AddressVerdict | null {
  const h = stripBrackets(host).toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) {
    const viaName = checkTarget({ host: h, port, address: '127.0.0.1' }, policy);
    return viaName.ok
      ? viaName
      : {
          ok: false,
          reason: `${host} is a loopback name: refused (allow it with the ${policy.settingName ?? 'fetchAllowedRanges'} setting)`,
        };
  }
  if (!ipaddr.isValid(h)) return null;
  return checkTarget({ host: h, port, address: h }, policy);
}

function stripBrackets(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}

/**
 * What a setting that allows private addresses opens for a server the user names (a Prowlarr,
 * Jackett or feed on the LAN): loopback, RFC 1918, CGNAT (Tailscale) and IPv6 unique-local.
 * Link-local (cloud metadata at 169.254.169.254) stays refused whatever the setting.
 */
export const LAN_RANGES: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
];

/** The policy such a setting gives, naming the setting in a refusal's message. */
export function lanAllowedPolicy(settingName?: string): AddressPolicy {
  return {
    allowLoopback: true,
    allowedRanges: LAN_RANGES,
    ...(settingName ? { settingName } : {}),
  };
}
