import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  redactSettings,
  withoutMasked,
  SettingsPatchSchema,
  SettingsSchema,
  type SettingsPatch,
} from '../../settings/settings.definitions.js';
import type { SettingsService } from '../../settings/settings.service.js';
import { ErrorBody } from '../schemas.js';

export const settingsRoutes =
  (deps: { settings: SettingsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/settings',
      {
        schema: {
          summary: 'The settings in force (stored changes over the environment defaults)',
          response: { 200: SettingsSchema, 401: ErrorBody },
        },
      },
      () => redactSettings(deps.settings.current()),
    );

    app.patch(
      '/api/settings',
      {
        schema: {
          summary: 'Change settings at run time, for every process; null restores a default',
          body: SettingsPatchSchema,
          response: { 200: SettingsSchema, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request) =>
        redactSettings(await deps.settings.update(withoutMasked(request.body as SettingsPatch))),
    );
  };
