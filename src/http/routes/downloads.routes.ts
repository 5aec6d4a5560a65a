import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { WIRE_STATUSES, type WireStatus } from '../../downloads/download.dto.js';
import { DownloadSchema } from '../../downloads/download.dto.js';
import { CandidatesSchema } from '../../downloads/candidates.dto.js';
import type { AppDeps } from '../app.js';
import { candidateOf } from '../../search/search.service.js';
import { CreateDownloadBody, ErrorBody, IdParams, ListQuery, trackRequest } from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

export const downloadsRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/downloads',
      {
        schema: {
          summary:
            'Request a track (returns the existing download when one for this track is active)',
          body: CreateDownloadBody,
          response: { 201: DownloadSchema, 200: DownloadSchema, ...errors },
        },
      },
      async (request, reply) => {
        const { source } = request.body;
        const { download, created } = await deps.downloads.create(
          trackRequest(request.body),
          source ? candidateOf(source) : undefined,
        );
        return reply.code(created ? 201 : 200).send(download);
      },
    );

    app.get(
      '/api/downloads',
      {
        schema: {
          summary:
            'List downloads (newest first, oldest first or in queue order), filtered by status, provider and text, with keyset pagination',
          querystring: ListQuery,
          response: {
            200: Type.Object({
              items: Type.Array(DownloadSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (request, reply) => {
        const statuses = request.query.status
          ?.split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const bad = statuses?.find((s) => !(WIRE_STATUSES as readonly string[]).includes(s));
        if (bad !== undefined) {
          return reply.code(400).send({
            statusCode: 400,
            error: 'Bad Request',
            message: `querystring/status: unknown status "${bad}"`,
          });
        }
        return deps.downloads.list({
          statuses: statuses as WireStatus[] | undefined,
          limit: request.query.limit ?? 50,
          cursor: request.query.cursor,
          order: request.query.order ?? 'newest',
          ...(request.query.provider !== undefined ? { provider: request.query.provider } : {}),
          ...(request.query.q !== undefined ? { text: request.query.q } : {}),
        });
      },
    );

    app.get(
      '/api/downloads/:id',
      {
        schema: {
          summary: 'One download',
          params: IdParams,
          response: { 200: DownloadSchema, ...errors },
        },
      },
      (request) => deps.downloads.get(request.params.id),
    );

    app.get(
      '/api/downloads/:id/candidates',
      {
        schema: {
          summary:
            'What the last search found: the ranked sources with their score breakdown, and the rejected ones with their reasons',
          params: IdParams,
          response: { 200: CandidatesSchema, ...errors },
        },
      },
      (request) => deps.downloads.candidates(request.params.id),
    );

    app.delete(
      '/api/downloads/:id',
      {
        schema: {
          summary: 'Cancel a download (also at slskd)',
          params: IdParams,
          response: { 200: DownloadSchema, ...errors },
        },
      },
      (request) => deps.downloads.cancel(request.params.id),
    );

    app.post(
      '/api/downloads/:id/retry',
      {
        schema: {
          summary: 'Retry a failed or cancelled download with its retry count reset',
          params: IdParams,
          response: { 200: DownloadSchema, ...errors },
        },
      },
      (request) => deps.downloads.retry(request.params.id),
    );
  };
