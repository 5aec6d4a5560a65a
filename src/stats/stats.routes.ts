import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../http/schemas.js';
import { PERIODS, resolveRange } from './stats-range.js';
import { StatsSchema } from './stats.dto.js';
import type { StatsService } from './stats.service.js';

/** A time as the query gives it: epoch ms or ISO 8601 (stats-range.ts checks it is a real time). */
export const TimeParam = Type.String({
  maxLength: 40,
  pattern: '^[0-9A-Za-z:.+-]+$',
  description: 'epoch ms, or ISO 8601: 2026-03-01 (UTC midnight) or 2026-03-01T12:00:00Z / +02:00',
});

export const StatsQuery = Type.Object(
  {
    period: Type.Optional(
      Type.Union(
        PERIODS.map((p) => Type.Literal(p)),
        { description: 'the last 24 h, 7 days, 30 days up to now, or everything (default week)' },
      ),
    ),
    from: Type.Optional(TimeParam),
    to: Type.Optional(TimeParam),
    top: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
  },
  { additionalProperties: false },
);

export const statsRoutes =
  (deps: { stats: StatsService; now?: () => number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const now = deps.now ?? Date.now;
    app.get(
      '/api/stats',
      {
        schema: {
          summary:
            'Statistics of finished downloads in a period: totals, by status, format, provider and peer, failure reasons, daily history (UTC), top artists, speed samples',
          querystring: StatsQuery,
          response: { 200: StatsSchema, 400: ErrorBody, 401: ErrorBody },
        },
      },
      async (request, reply) => {
        const { top, ...range } = request.query;
        const resolved = resolveRange(range, now());
        if (resolved.kind === 'error') {
          return reply.code(400).send({
            statusCode: 400,
            error: 'Bad Request',
            message: `querystring/${resolved.field}: ${resolved.message}`,
          });
        }
        return deps.stats.stats(resolved.kind === 'all' ? 'all' : resolved, top ?? 10);
      },
    );
  };
