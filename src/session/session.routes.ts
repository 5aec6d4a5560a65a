import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, Text } from '../http/schemas.js';
import { createLoginLimiter, type LoginLimiter } from './login-limiter.js';
import { clearSessionCookie, setSessionCookie } from './session.cookie.js';
import type { SessionService } from './session.service.js';

const LoginBody = Type.Object(
  { apiKey: Text({ maxLength: 1024, minLength: 1, description: 'The API key' }) },
  { additionalProperties: false },
);

const SessionState = Type.Object({
  authenticated: Type.Literal(true),
  via: Type.Union([Type.Literal('session'), Type.Literal('apiKey')]),
  /** ISO time; null for a request authenticated by X-Api-Key (no session). */
  expiresAt: Type.Union([Type.String(), Type.Null()]),
});

/** /api/session: the web UI's login, its state and logout. Thin; the rules are in the service. */
export const sessionRoutes =
  (deps: {
    sessions: SessionService;
    now: () => number;
    limiter?: LoginLimiter;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const limiter = deps.limiter ?? createLoginLimiter();
    app.post(
      '/api/session',
      {
        schema: {
          summary:
            'Log in with the API key: sets the HttpOnly session cookie the web UI uses instead of X-Api-Key. ' +
            'Ten wrong keys a minute from one address are answered 429',
          security: [],
          body: LoginBody,
          response: {
            204: Type.Null(),
            400: ErrorBody,
            401: ErrorBody,
            403: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const now = deps.now();
        const wait = limiter.retryAfterSeconds(request.ip, now);
        if (wait > 0)
          return reply
            .code(429)
            .header('retry-after', String(wait))
            .send({
              statusCode: 429,
              error: 'Too Many Requests',
              message: `Too many wrong API keys from this address; try again in ${wait} s`,
            });
        if (!deps.sessions.keyMatches(request.body.apiKey)) {
          limiter.failed(request.ip, now);
          return reply.code(401).send({
            statusCode: 401,
            error: 'Unauthorized',
            message:
              'body/apiKey: that is not the API key (SoulSpot printed it at its first start and keeps it in api-key in its data directory)',
          });
        }
        limiter.succeeded(request.ip);
        const { token } = await deps.sessions.start();
        setSessionCookie(request, reply, token, Math.round(deps.sessions.ttlMs / 1000));
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/api/session',
      {
        schema: {
          summary: 'Whether this request is logged in, and until when the session lasts',
          response: { 200: SessionState, 401: ErrorBody },
        },
      },
      (request) => {
        const auth = request.auth;
        return auth?.via === 'session'
          ? {
              authenticated: true as const,
              via: 'session' as const,
              expiresAt: new Date(auth.expiresAt).toISOString(),
            }
          : { authenticated: true as const, via: 'apiKey' as const, expiresAt: null };
      },
    );

    app.delete(
      '/api/session',
      {
        schema: {
          summary: 'Log out: ends this session (in every process) and clears the cookie',
          response: { 204: Type.Null(), 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (request, reply) => {
        if (request.auth?.via === 'session') await deps.sessions.end(request.auth.token);
        clearSessionCookie(request, reply);
        return reply.code(204).send(null);
      },
    );
  };
