import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfProblem } from '../session/csrf.js';
import { SESSION_COOKIE, setSessionCookieRaw } from '../session/session.cookie.js';
import { keyMatcher } from '../session/key-check.js';
import type { SessionService } from '../session/session.service.js';

/** How a request to the API proved itself (set by the hook below; null where none was needed). */
export type RequestAuth =
  { via: 'apiKey' } | { via: 'session'; token: string; expiresAt: number } | null;

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth;
  }
}

/**
 * Who may use the API: everything under /api but /api/health and the login (POST /api/session)
 * needs the `X-Api-Key` header or a live session cookie; a cookie request that changes something
 * must also pass the Origin check (session/csrf.ts). The web UI's own files are public (they hold
 * no data), as is /metrics here (it checks its own keys).
 */
export function installAuth(
  app: FastifyInstance,
  options: { apiKey: string; sessions?: SessionService | undefined },
): void {
  const { sessions } = options;
  const keyMatches = keyMatcher(options.apiKey);
  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request, reply) => {
    if (!needsAuth(request)) return;
    if (sessions && request.routeOptions.url === '/api/session' && request.method === 'POST') {
      // The login itself: the key is in the body. A browser's login form is checked for its
      // origin like any cookie request (login CSRF would log the victim into the attacker's
      // session); a script without an Origin header is let through.
      if (request.headers.origin === undefined) return;
      const problem = csrfProblem(csrfInput(request));
      if (problem) await forbidden(reply, problem);
      return;
    }
    const given = request.headers['x-api-key'];
    if (given !== undefined) {
      // A key that is sent decides alone: a wrong one is refused even beside a good cookie.
      if (typeof given === 'string' && keyMatches(given)) request.auth = { via: 'apiKey' };
      else await unauthorized(reply);
      return;
    }
    // Without sessions (some API tests build the app so) there is no cookie parser either.
    const token = sessions ? request.cookies[SESSION_COOKIE] : undefined;
    const session = sessions && token ? await sessions.check(token) : null;
    if (!sessions || !token || !session) {
      await unauthorized(reply);
      return;
    }
    const problem = csrfProblem(csrfInput(request));
    if (problem) {
      await forbidden(reply, problem);
      return;
    }
    request.auth = { via: 'session', token, expiresAt: session.expiresAt };
    // The expiry slid: the browser's copy slides with it.
    if (session.refreshed)
      setSessionCookieRaw(request, reply, token, Math.round(sessions.ttlMs / 1000));
  });
}

/**
 * Decided on the route Fastify matched, never on the raw URL: "/%61pi/downloads" is routed to
 * /api/downloads after decoding. A request that matched no route reaches only the not-found
 * handler, which serves the public UI shell or a 404; under /api it needs the key too (401, not
 * 404, so the API's paths are not probed without it).
 */
function needsAuth(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route === undefined) return isApiPath(request.url);
  return route !== '/api/health' && route.startsWith('/api');
}

/** Whether a raw URL's path is under /api, percent-decoded as routing would. */
export function isApiPath(url: string): boolean {
  const rawPath = url.split('?')[0] ?? '';
  let decoded = rawPath;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    // Not decodable: keep it raw; such a URL is refused before routing anyway.
  }
  return decoded === '/api' || decoded.startsWith('/api/');
}

function csrfInput(request: FastifyRequest) {
  const origin = request.headers.origin;
  const site = request.headers['sec-fetch-site'];
  return {
    method: request.method,
    origin: typeof origin === 'string' ? origin : undefined,
    secFetchSite: typeof site === 'string' ? site : undefined,
    ownOrigin: `${request.protocol}://${request.host}`,
  };
}

async function unauthorized(reply: FastifyReply): Promise<void> {
  await reply.code(401).send({
    statusCode: 401,
    error: 'Unauthorized',
    message: 'Missing or invalid X-Api-Key header or session cookie',
  });
}

async function forbidden(reply: FastifyReply, message: string): Promise<void> {
  await reply.code(403).send({ statusCode: 403, error: 'Forbidden', message });
}
