import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../http/schemas.js';
import { BackupFailedError, BackupUnavailableError } from './backup.dump.js';
import type { BackupService } from './backup.service.js';

const BackupBody = Type.Object({
  name: Type.String(),
  size: Type.Integer({ minimum: 0 }),
  createdAt: Type.String({ format: 'date-time' }),
  database: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]),
});

/** `POST /api/system/backup` and `GET /api/system/backups` (behind the API key like all of /api). */
export const backupRoutes =
  (deps: {
    backups: BackupService;
    log: { error(details: object, message: string): void };
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/system/backup',
      {
        schema: {
          summary:
            'Back up the database and the settings into the data dir (oldest beyond backupRetention removed)',
          response: { 201: BackupBody, 401: ErrorBody, 500: ErrorBody, 501: ErrorBody },
        },
      },
      async (_request, reply) => {
        try {
          return await reply.code(201).send(await deps.backups.create());
        } catch (error) {
          if (error instanceof BackupUnavailableError) {
            return reply
              .code(501)
              .send({ statusCode: 501, error: 'Not Implemented', message: error.message });
          }
          const detail = error instanceof BackupFailedError ? error.detail : String(error);
          deps.log.error({ detail }, 'backup failed');
          const message =
            error instanceof BackupFailedError
              ? `${error.message}; see the server log`
              : 'The backup failed; see the server log';
          return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message });
        }
      },
    );
    app.get(
      '/api/system/backups',
      {
        schema: {
          summary: 'The backups in the data dir, newest first',
          response: { 200: Type.Object({ items: Type.Array(BackupBody) }), 401: ErrorBody },
        },
      },
      async () => ({ items: await deps.backups.list() }),
    );
  };
