// The HTTP shell around the routes: ASP.NET Core conventions that fastify does not have by default —
// case-insensitive routing, bodies accepted only as application/json (415 otherwise), 401/404 with an
// EMPTY body, text errors as JSON string literals, CORS exposing X-Total-Count, and request counting.
import Fastify, { type FastifyInstance } from 'fastify';
import { authorized } from './auth.js';
import type { Context } from './context.js';
import { controlRoutes, type Controls } from './control.js';
import { ApiError } from './format.js';
import { API, sendEmpty, sendJson } from './respond.js';
import { apiRoutes } from './routes.js';
import { transferRoutes } from './transfer-routes.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without credentials (GET /session/enabled, POST /session, /health). */
    anonymous?: boolean;
  }
}

/** "GET /transfers/downloads/:username" → "GET /transfers/downloads/{username}". */
const routeKey = (method: string, url: string): string =>
  `${method} ${url.slice(API.length).replace(/:(\w+)/g, '{$1}')}`;

export function buildApp(ctx: Context, controls: Controls): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024 * 1024, // batches of thousands of files
    forceCloseConnections: true, // stop()/restart() must refuse connections at once, like a dead process
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 2000 },
  });

  // Keep bodies raw: each route decides about content type (415) and JSON errors (400) itself.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.addHook('onRequest', async (req, reply) => {
    reply.header('access-control-allow-origin', '*');
    reply.header('access-control-expose-headers', 'X-URL-Base, X-Total-Count');
    const url = req.routeOptions.url;
    if (url === undefined || !url.startsWith(API)) return;
    const key = routeKey(req.method, url);
    ctx.requestCounts[key] = (ctx.requestCounts[key] ?? 0) + 1;
    if (
      !req.routeOptions.config.anonymous &&
      !authorized(req.headers, ctx.options.apiKey, ctx.jwtKey)
    ) {
      return reply.code(401).header('www-authenticate', 'Bearer').send();
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply) => {
    if (error instanceof ApiError) {
      return error.text === undefined
        ? sendEmpty(reply, error.status)
        : sendJson(reply, error.status, error.text);
    }
    // Framework errors (e.g. body too large) keep their status; anything else is slskd's 500.
    return sendJson(reply, error.statusCode ?? 500, error.message);
  });
  app.setNotFoundHandler((_req, reply) => sendEmpty(reply, 404));

  app.options('/*', (_req, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS')
      .header('access-control-allow-headers', '*')
      .send(),
  );
  app.get('/health', { config: { anonymous: true } }, (_req, reply) =>
    reply.type('text/plain').send('Healthy'),
  );

  apiRoutes(app, ctx, controls);
  transferRoutes(app, ctx);
  controlRoutes(app, ctx, controls);
  return app;
}
