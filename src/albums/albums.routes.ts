import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody, IdParams } from '../http/schemas.js';
import { AlbumListQuery, AlbumListSchema, AlbumSchema, CreateAlbumBody } from './albums.dto.js';
import type { AlbumsService } from './albums.service.js';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

/** /api/albums: thin; every rule is in the service. */
export const albumRoutes =
  (deps: { albums: AlbumsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { albums } = deps;

    app.post(
      '/api/albums',
      {
        schema: {
          summary:
            'Request an album: one download per track, from one peer folder when one has it (found by a search and browsing). Without tracks, the best complete folder’s files are the tracks. Waits for that search (bounded by searchTimeoutSeconds).',
          body: CreateAlbumBody,
          response: { 201: AlbumSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await albums.create(request.body)),
    );

    app.get(
      '/api/albums',
      {
        schema: {
          summary: 'Albums, newest first, without their tracks; nextCursor pages on',
          querystring: AlbumListQuery,
          response: { 200: AlbumListSchema, ...errors },
        },
      },
      (request) =>
        albums.list({
          limit: request.query.limit ?? 50,
          ...(request.query.cursor ? { cursor: request.query.cursor } : {}),
        }),
    );

    app.get(
      '/api/albums/:id',
      {
        schema: {
          summary: 'One album with its tracks: status, source, whether from the chosen folder',
          params: IdParams,
          response: { 200: AlbumSchema, ...errors },
        },
      },
      (request) => albums.get(request.params.id),
    );

    app.post(
      '/api/albums/:id/cancel',
      {
        schema: {
          summary: 'Cancel every unfinished track of the album (409 when none is unfinished)',
          params: IdParams,
          response: { 200: AlbumSchema, ...errors },
        },
      },
      (request) => albums.cancel(request.params.id),
    );

    app.post(
      '/api/albums/:id/retry',
      {
        schema: {
          summary: 'Retry the failed and cancelled tracks (409 when there are none)',
          params: IdParams,
          response: { 200: AlbumSchema, ...errors },
        },
      },
      (request) => albums.retry(request.params.id),
    );
  };
