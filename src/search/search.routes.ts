import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, IdParams } from '../http/schemas.js';
import { CANDIDATE_ID_PATTERN } from '../matching/candidate-id.js';
import { DownloadSchema } from '../downloads/download.dto.js';
import type { SourcePickService } from '../downloads/source-pick.service.js';
import { SearchBody, SearchResultSchema } from './search.dto.js';
import { SearchesBusyError, SearchUnavailableError, type SearchService } from './search.service.js';

const errors = {
  400: ErrorBody,
  401: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  429: ErrorBody,
  503: ErrorBody,
};

export const PickBody = Type.Object(
  {
    /** A candidate's id as GET /api/downloads/{id}/candidates shows it. */
    candidateId: Type.String({ pattern: CANDIDATE_ID_PATTERN }),
  },
  { additionalProperties: false },
);

/** POST /api/search and POST /api/downloads/{id}/source: thin; the rules are in the services. */
export const searchRoutes =
  (deps: { search: SearchService; sourcePick: SourcePickService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/search',
      {
        schema: {
          summary:
            'Search slskd by hand: ranked results with their score breakdown, rejected ones with their reasons',
          body: SearchBody,
          response: { 200: SearchResultSchema, ...errors },
        },
      },
      async (request, reply) => {
        // A client that goes away (closed the page, timed out) needs no answer: its search at slskd
        // is stopped rather than left to run for up to 4× searchTimeoutSeconds.
        const gone = new AbortController();
        const onClose = () => {
          if (!reply.raw.writableFinished) gone.abort();
        };
        reply.raw.once('close', onClose);
        try {
          return await deps.search.search(request.body, gone.signal);
        } catch (error) {
          if (error instanceof SearchesBusyError)
            return reply
              .code(429)
              .send({ statusCode: 429, error: 'Too Many Requests', message: error.message });
          // Fastify's handler answers 5xx as an internal error; slskd being unable is not one.
          if (error instanceof SearchUnavailableError)
            return reply
              .code(503)
              .send({ statusCode: 503, error: 'Service Unavailable', message: error.message });
          throw error;
        } finally {
          reply.raw.off('close', onClose);
        }
      },
    );

    app.post(
      '/api/downloads/:id/source',
      {
        schema: {
          summary:
            'Switch a download to one of its candidates (a rejected one too: the user overrides); a transfer from another source is cancelled first',
          params: IdParams,
          body: PickBody,
          response: { 200: DownloadSchema, ...errors },
        },
      },
      (request) => deps.sourcePick.pick(request.params.id, request.body.candidateId),
    );
  };
