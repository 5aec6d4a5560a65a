/**
 * The CSRF rule for requests a browser makes with the session cookie (pure). SameSite=Strict keeps
 * the cookie off cross-site requests in current browsers; this check is the second wall, for older
 * browsers and for sibling subdomains (same site, other origin). A state-changing request must say
 * it comes from this very origin: `Origin` equal to ours (scheme, host and port), or, where a
 * browser sends no Origin, `Sec-Fetch-Site: same-origin`.
 */
export interface CsrfInput {
  method: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** Our own origin as the request reached us: `${protocol}://${host}`. */
  ownOrigin: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why the request is refused, or null when it may go on. */
export function csrfProblem(input: CsrfInput): string | null {
  if (SAFE_METHODS.has(input.method.toUpperCase())) return null;
  const own = normalizeOrigin(input.ownOrigin);
  if (input.origin !== undefined) {
    const given = normalizeOrigin(input.origin);
    if (given !== null && given === own) return null;
    return `Origin ${JSON.stringify(input.origin)} is not this server's origin ${own ?? input.ownOrigin}: a request authenticated by the session cookie must come from the SoulSpot page itself`;
  }
  if (input.secFetchSite === 'same-origin') return null;
  return 'A request authenticated by the session cookie must carry an Origin header (or Sec-Fetch-Site: same-origin); send X-Api-Key instead from scripts';
}

/** scheme://host[:port] with the default port dropped, or null when it is not an http(s) origin. */
function normalizeOrigin(value: string): string | null {
  if (value === 'null') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin;
  } catch {
    return null;
  }
}
