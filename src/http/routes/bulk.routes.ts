import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DOWNLOAD_STATUSES } from '../../downloads/download.js';
import type { DownloadsService } from '../../downloads/downloads.service.js';
import { ErrorBody, TrackBody, trackRequest } from '../schemas.js';

/** Tracks per bulk request, at most. */
export const BULK_MAX_ITEMS = 10_000;
/**
 * The bulk route's body limit (every other route keeps 64 KiB): 10,000 tracks of ordinary length
 * (~150 bytes of JSON each) are ~1.5 MB; 8 MiB leaves room for long names without letting one
 * request hold hundreds of megabytes.
 */
export const BULK_BODY_LIMIT = 8 * 1024 * 1024;

export const BulkBody = Type.Object(
  { items: Type.Array(TrackBody, { minItems: 1, maxItems: BULK_MAX_ITEMS }) },
  { additionalProperties: false },
);

const BulkItem = Type.Object({
  index: Type.Integer(),
  result: Type.Union([
    Type.Literal('created'),
    Type.Literal('existing'),
    Type.Literal('duplicate'),
    Type.Literal('rejected'),
  ]),
  id: Type.Union([Type.String(), Type.Null()]),
  /** The download's status; null when rejected. */
  status: Type.Union([Type.String({ enum: [...DOWNLOAD_STATUSES] }), Type.Null()]),
  duplicateOf: Type.Optional(Type.Integer()),
});

const BulkResponse = Type.Object({
  created: Type.Integer(),
  existing: Type.Integer(),
  duplicate: Type.Integer(),
  rejected: Type.Integer(),
  items: Type.Array(BulkItem),
});

export const bulkRoutes =
  (deps: { downloads: DownloadsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/downloads/bulk',
      {
        bodyLimit: BULK_BODY_LIMIT,
        schema: {
          summary:
            'Request up to 10,000 tracks at once (tracks with an active download and repeats are reported, not created)',
          body: BulkBody,
          response: {
            200: BulkResponse,
            400: ErrorBody,
            401: ErrorBody,
            413: ErrorBody,
            429: ErrorBody,
          },
        },
      },
      (request) => deps.downloads.bulk(request.body.items.map(trackRequest)),
    );
  };
