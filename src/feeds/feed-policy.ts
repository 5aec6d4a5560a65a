import { checkLiteralHost, lanAllowedPolicy, type AddressPolicy } from '../net/address-policy.js';

/**
 * Where a feed may be fetched from. A feed URL is user-supplied and its server remote: public
 * addresses only, unless the feed's `allowPrivateAddress` is set, which admits loopback, RFC 1918,
 * CGNAT and IPv6 unique-local addresses (a Prowlarr or Jackett on the LAN). Link-local addresses
 * (cloud metadata at 169.254.169.254) stay refused either way. Pure.
 */
export function feedAddressPolicy(allowPrivate: boolean): AddressPolicy {
  return allowPrivate
    ? lanAllowedPolicy('allowPrivateAddress')
    : { settingName: 'allowPrivateAddress' };
}

/**
 * The problem with a feed URL that can be judged without resolving its name (scheme, credentials,
 * an IP literal or `localhost` the policy refuses), or null. Other names are checked at each poll.
 */
export function feedUrlProblem(raw: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return `${raw} is not a URL`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return 'only http and https feeds are read';
  if (u.username || u.password) return 'a feed URL may not carry a user name or password';
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  const verdict = checkLiteralHost(u.hostname, port, feedAddressPolicy(allowPrivate));
  return verdict && !verdict.ok ? verdict.reason : null;
}
