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
          summary: 'Service and provider health, and the health checks (no API key needed)',
          response: { 200: HealthBody },
        },
      },
      async () => {
        // A missing ffmpeg is reported, not counted as degraded: downloads still flow, unchecked.
        const transcode = deps.transcode
          ? await deps.transcode.availability()
          : { available: false, message: 'the transcode check is not configured' };
        // Checks say what is wrong and what to do; `status` stays about the provider, as before.
        const checks = deps.healthChecks ? await deps.healthChecks.run() : [];
        // Through the checks' cache and time limit when they are wired in: the endpoint is open.
        const queue = deps.healthChecks
          ? await deps.healthChecks.queueCounts()
          : await deps.downloads.counts();
        // Read after the awaits, so `status`, `providers` and the slskd check tell the same moment.
        const { providers, allUp } = deps.health;
        return {
          status: allUp ? ('ok' as const) : ('degraded' as const),
          providers,
          queue,
          transcode,
          checks,
        };
      },
    );
  };
