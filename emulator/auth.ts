// slskd's two credentials: the X-API-Key header and an HS256 JWT from POST /session (issuer "slskd").
// node:crypto is enough for HS256; no JWT library is needed for an emulator.
import { createHmac, timingSafeEqual } from 'node:crypto';

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** slskd's default `web.authentication.jwt.ttl`: 7 days. */
export const JWT_TTL_MS = 604_800_000;

export function signJwt(key: Buffer, name: string, issuedMs: number): Record<string, unknown> {
  const issued = Math.floor(issuedMs / 1000);
  const expires = issued + JWT_TTL_MS / 1000;
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      name,
      role: 'Administrator',
      nbf: issued,
      exp: expires,
      iat: issued,
      iss: 'slskd',
    }),
  );
  const signature = b64url(createHmac('sha256', key).update(`${header}.${payload}`).digest());
  return {
    expires,
    issued,
    name,
    notBefore: issued,
    token: `${header}.${payload}.${signature}`,
    tokenType: 'Bearer',
  };
}

export function verifyJwt(key: Buffer, token: string, nowMs: number): boolean {
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return false;
  const expected = createHmac('sha256', key).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as {
      exp?: number;
      nbf?: number;
      iss?: string;
    };
    const seconds = nowMs / 1000;
    return (
      claims.iss === 'slskd' && (claims.exp ?? 0) > seconds && (claims.nbf ?? 0) <= seconds + 300
    );
  } catch {
    return false;
  }
}

const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** True when the request carries the API key or a valid JWT. With no key configured, auth is off. */
export function authorized(
  headers: Record<string, string | string[] | undefined>,
  apiKey: string | undefined,
  jwtKey: Buffer,
): boolean {
  if (apiKey === undefined) return true;
  const key = headers['x-api-key'];
  if (typeof key === 'string' && sameText(key, apiKey)) return true;
  const auth = headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) {
    return verifyJwt(jwtKey, auth.slice(7).trim(), Date.now());
  }
  return false;
}
