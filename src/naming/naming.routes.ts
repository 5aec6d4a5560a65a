import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../http/schemas.js';
import type { LiveSettings } from '../downloads/download.job.js';
import { NamingPreviewBody, NamingPreviewSchema, previewNaming } from './naming-preview.js';

/** /api/naming: thin; the rules are in library/naming-pattern.ts. */
export const namingRoutes =
  (deps: { settings: LiveSettings }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/naming/preview',
      {
        schema: {
          summary:
            'The library path a naming pattern gives a track (a sample, or the one sent); absent patterns are the settings in force',
          body: NamingPreviewBody,
          response: { 200: NamingPreviewSchema, 400: ErrorBody, 401: ErrorBody },
        },
      },
      (request) =>
        previewNaming(request.body, {
          namingPattern: deps.settings.get('namingPattern'),
          multiDiscNamingPattern: deps.settings.get('multiDiscNamingPattern'),
        }),
    );
  };
