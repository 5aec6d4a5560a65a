import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app.js';
import { HealthBody } from '../schemas.js';

export const healthRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/health',
      {
        schema: {
          summary: 'Service and provider health (no API key needed)',
          response: { 200: HealthBody },
        },
      },
      async () => {
        const slskd = deps.health.current;
        return {
          status: slskd.state === 'up' ? ('ok' as const) : ('degraded' as const),
          providers: { slskd },
          queue: await deps.downloads.counts(),
        };
      },
    );
  };
