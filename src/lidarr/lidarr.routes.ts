import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../http/schemas.js';
import type { WantedSync } from './wanted-sync.service.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

const SyncRunSchema = Type.Object({
  startedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  seen: Type.Integer(),
  queued: Type.Integer(),
  imported: Type.Integer(),
  failed: Type.Integer(),
  error: Nullable(Type.String()),
});

export const SyncStatusSchema = Type.Object({
  /** lidarrUrl and lidarrApiKey are set. */
  configured: Type.Boolean(),
  running: Type.Boolean(),
  /** The newest run of any process sharing the database (null before the first). */
  lastRun: Nullable(SyncRunSchema),
  albums: Type.Array(
    Type.Object({
      lidarrAlbumId: Type.Integer(),
      artist: Type.String(),
      title: Type.String(),
      /** claimed → queued → imported (DownloadedAlbumsScan sent), or failed. */
      state: Type.Union([
        Type.Literal('claimed'),
        Type.Literal('queued'),
        Type.Literal('imported'),
        Type.Literal('failed'),
      ]),
      albumId: Nullable(Type.String()),
      /** The SoulSpot album's status (GET /api/albums/{id}). */
      albumStatus: Nullable(Type.String()),
      error: Nullable(Type.String()),
      updatedAt: Type.String(),
    }),
  ),
});

/** /api/lidarr/sync: the wanted-list sync's state, and a run on demand. */
export const lidarrSyncRoutes =
  (deps: { sync: WantedSync }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/lidarr/sync',
      {
        schema: {
          summary: "The Lidarr wanted-list sync: the last run and each Lidarr album's state",
          response: { 200: SyncStatusSchema, 401: ErrorBody },
        },
      },
      () => deps.sync.status(),
    );

    app.post(
      '/api/lidarr/sync',
      {
        schema: {
          summary:
            'Run the Lidarr wanted-list sync now (joins a run under way); answers when it has finished',
          response: { 200: SyncRunSchema, 401: ErrorBody, 409: ErrorBody },
        },
      },
      async (_request, reply) => {
        const run = await deps.sync.run();
        if (run.error?.startsWith('Lidarr is not configured'))
          return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: run.error });
        return run;
      },
    );
  };
