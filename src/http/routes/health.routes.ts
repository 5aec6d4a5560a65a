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
        const { providers, allUp } = deps.health;
        // A missing ffmpeg is reported, not counted as degraded: downloads still flow, unchecked.
        const transcode = deps.transcode
          ? await deps.transcode.availability()
          : { available: false, message: 'the transcode check is not configured' };
        return {
          status: allUp ? ('ok' as const) : ('degraded' as const),
          providers,
          queue: await deps.downloads.counts(),
          checks: { transcode },
        };
      },
    );
  };
