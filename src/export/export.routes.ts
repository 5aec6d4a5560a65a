import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DOWNLOAD_STATUSES, isDownloadStatus } from '../downloads/download.js';
import { ErrorBody, Text } from '../http/schemas.js';
import { parseTime } from '../stats/stats-range.js';
import { TimeParam } from '../stats/stats.routes.js';
import type { ExportService } from './export.service.js';

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('csv'), Type.Literal('json')], { default: 'csv' }),
    ),
    status: Type.Optional(
      Text({ maxLength: 200, description: `comma-separated: ${DOWNLOAD_STATUSES.join(', ')}` }),
    ),
    from: Type.Optional(TimeParam),
    to: Type.Optional(TimeParam),
  },
  { additionalProperties: false },
);

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8' };

export const exportRoutes =
  (deps: { exports: ExportService; now?: () => number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const now = deps.now ?? Date.now;
    app.get(
      '/api/downloads/export',
      {
        schema: {
          summary:
            'The download history as CSV or a JSON array, streamed, oldest first; from/to filter by when a download was requested (createdAt)',
          querystring: ExportQuery,
          response: {
            200: Type.String({ description: 'CSV (text/csv) or a JSON array (application/json)' }),
            400: ErrorBody,
            401: ErrorBody,
          },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const bad = (field: string, message: string) =>
          reply.code(400).send({
            statusCode: 400,
            error: 'Bad Request',
            message: `querystring/${field}: ${message}`,
          });
        const statuses = q.status
          ?.split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const unknown = statuses?.find((s) => !isDownloadStatus(s));
        if (unknown !== undefined) return bad('status', `unknown status "${unknown}"`);
        const from = q.from === undefined ? 0 : parseTime(q.from);
        if (from === null) return bad('from', 'must be epoch milliseconds or ISO 8601');
        const to = q.to === undefined ? now() + 1 : parseTime(q.to);
        if (to === null) return bad('to', 'must be epoch milliseconds or ISO 8601');
        if (from > to) return bad('from', 'must not be after to');
        const format = q.format ?? 'csv';
        const stamp = new Date(now()).toISOString().slice(0, 10);
        const body = deps.exports.stream(format, {
          ...(statuses && statuses.length > 0
            ? { statuses: statuses.filter(isDownloadStatus) }
            : {}),
          from,
          to,
        });
        // Fastify sends a stream as it is (no serializer); the schema's string is for the docs.
        return reply
          .type(CONTENT_TYPES[format])
          .header(
            'content-disposition',
            `attachment; filename="soulspot-history-${stamp}.${format}"`,
          )
          .header('cache-control', 'no-store')
          .send(body as unknown as string);
      },
    );
  };
