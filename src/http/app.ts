import { timingSafeEqual } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Ajv, type ErrorObject } from 'ajv';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  BadCursorError,
  ConflictError,
  NotFoundError,
  type DownloadsService,
} from '../downloads/downloads.service.js';
import type { SseBroker } from '../events/sse.broker.js';
import type { HealthMonitor } from '../providers/health-monitor.js';
import type { BlocklistService } from '../blocklist/blocklist.service.js';
import { blocklistRoutes } from './routes/blocklist.routes.js';
import { downloadsRoutes } from './routes/downloads.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { healthRoutes } from './routes/health.routes.js';

export interface AppDeps {
  apiKey: string;
  downloads: DownloadsService;
  blocklist: BlocklistService;
  health: HealthMonitor;
  broker: SseBroker;
  logger?: boolean | object;
}

export type App = FastifyInstance;

/** The HTTP API: schemas validate every input, X-Api-Key guards everything but /api/health. */
export async function buildApp(deps: AppDeps): Promise<App> {
  // Defence in depth: config already refuses short keys, but an empty one here would switch the
  // check below off (two empty buffers compare equal), so no caller may build the app that way.
  if (typeof deps.apiKey !== 'string' || deps.apiKey.trim().length < 16) {
    throw new Error('buildApp: the API key must be at least 16 characters');
  }
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Query strings and path params arrive as text and need coercion; JSON bodies must not be coerced
  // (a number where a string belongs, or 0 where null is allowed, is a client error, not a value).
  const strict = new Ajv({ allErrors: false, useDefaults: true, strict: false });
  const coercing = new Ajv({
    allErrors: false,
    useDefaults: true,
    coerceTypes: 'array',
    strict: false,
  });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema),
  );
  app.setSchemaErrorFormatter(
    (errors, dataVar) => new Error(describeValidation(errors as ErrorObject[], dataVar)),
  );

  await app.register(swagger, {
    openapi: {
      info: { title: 'SoulSpot API', version: '0.1.0', description: 'Music download manager' },
      components: {
        securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } },
      },
      security: [{ apiKey: [] }],
    },
  });

  const expected = Buffer.from(deps.apiKey);
  app.addHook('onRequest', async (request, reply) => {
    // Decide on the route Fastify matched, never on the raw URL: "/%61pi/downloads" is routed to
    // /api/downloads after decoding. Unmatched paths need the key too (they answer 401, not 404).
    const route = request.routeOptions.url;
    if (route === '/api/health' || (route !== undefined && !route.startsWith('/api'))) return;
    const given = request.headers['x-api-key'];
    const key = Buffer.from(typeof given === 'string' ? given : '');
    if (key.length !== expected.length || !timingSafeEqual(key, expected)) {
      await reply.code(401).send({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Missing or invalid X-Api-Key header',
      });
    }
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
    if (error instanceof NotFoundError)
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: error.message });
    if (error instanceof ConflictError)
      return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: error.message });
    if (error instanceof BadCursorError)
      return reply.code(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: `querystring/cursor: ${error.message}`,
      });
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500
        ? error.statusCode
        : 500;
    if (status === 500) app.log.error(error);
    return reply.code(status).send({
      statusCode: status,
      error: status === 500 ? 'Internal Server Error' : (error.name ?? 'Error'),
      message: status === 500 ? 'Internal error; see the server log' : error.message,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `No route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  await app.register(healthRoutes(deps));
  await app.register(downloadsRoutes(deps));
  await app.register(blocklistRoutes(deps));
  await app.register(eventsRoutes(deps));
  app.get('/api/docs', { schema: { hide: true } }, () => app.swagger());
  return app;
}

/** "body/trackNumber must be >= 1", "body/titel is not a known field": the field is always named. */
function describeValidation(errors: ErrorObject[], dataVar: string): string {
  return errors
    .map((e) => {
      const field = `${dataVar}${e.instancePath}`;
      if (e.keyword === 'additionalProperties') {
        return `${field}/${String(e.params.additionalProperty)} is not a known field`;
      }
      if (e.keyword === 'required')
        return `${field}/${String(e.params.missingProperty)} is required`;
      return `${field} ${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}
