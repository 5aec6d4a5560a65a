import type { FastifyReply, FastifyRequest } from 'fastify';

/** The cookie that carries a web UI session's token. */
export const SESSION_COOKIE = 'soulspot_session';

/**
 * HttpOnly: page scripts (and so an injected one) cannot read the token. SameSite=Strict: no
 * cross-site request carries it. Secure when the request came over HTTPS (directly, or through a
 * proxy SoulSpot is told to trust), so a plain-HTTP install on a LAN still logs in.
 */
export function sessionCookieOptions(request: FastifyRequest, maxAgeSeconds: number) {
  return {
    httpOnly: true,
    sameSite: 'strict' as const,
    path: '/',
    maxAge: maxAgeSeconds,
    secure: request.protocol === 'https',
  };
}

/** Sets the session cookie on a reply Fastify sends itself. */
export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, token, sessionCookieOptions(request, maxAgeSeconds));
}

/**
 * Sets it on the raw response, where a route may take the response over (the SSE stream writes its
 * own head): Node merges headers set here into whatever head is written later.
 */
export function setSessionCookieRaw(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
): void {
  const cookie = reply.server.serializeCookie(
    SESSION_COOKIE,
    token,
    sessionCookieOptions(request, maxAgeSeconds),
  );
  reply.raw.setHeader('set-cookie', cookie);
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: request.protocol === 'https',
  });
}
