import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Metrics } from './metrics.js';

/** True when `given` equals one of `keys`, compared in constant time. */
function matchesAny(given: string, keys: readonly string[]): boolean {
  const a = Buffer.from(given);
  let ok = false;
  for (const key of keys) {
    const b = Buffer.from(key);
    // Every key is compared (no early return), so timing does not tell which one matched.
    if (a.length === b.length && timingSafeEqual(a, b)) ok = true;
  }
  return ok;
}

/**
 * `GET /metrics` in Prometheus' text format. Outside /api, so the API's key hook does not cover it:
 * it checks the key itself, and accepts the API key or the metrics key (SOULSPOT_METRICS_KEY), as
 * `X-Api-Key` or as `Authorization: Bearer …` (what Prometheus' `authorization` block sends).
 * There is no open mode: without a valid key the answer is 401.
 */
export const metricsRoutes =
  (deps: {
    metrics: Pick<Metrics, 'render'>;
    keys: readonly string[];
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const keys = deps.keys.filter((k) => k.length > 0);
    if (keys.length === 0) throw new Error('metricsRoutes: at least one key is needed');
    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (API key or metrics key, as X-Api-Key or a bearer token)',
          security: [{ apiKey: [] }, { bearer: [] }],
        },
      },
      async (request, reply) => {
        const header = request.headers['x-api-key'];
        const auth = request.headers.authorization;
        const bearer =
          typeof auth === 'string' && /^Bearer /i.test(auth) ? auth.slice(7).trim() : '';
        const given = typeof header === 'string' ? header : bearer;
        if (!matchesAny(given, keys)) {
          return reply.code(401).send({
            statusCode: 401,
            error: 'Unauthorized',
            message:
              'Missing or invalid key: send the API key or the metrics key as X-Api-Key or a bearer token',
          });
        }
        const { contentType, body } = await deps.metrics.render();
        return reply.type(contentType).send(body);
      },
    );
  };
