import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { DOWNLOAD_STATUSES } from '../../downloads/download.js';
import { DownloadSchema } from '../../downloads/download.dto.js';
import {
  ConflictError,
  NotFoundError,
  type DownloadsService,
} from '../../downloads/downloads.service.js';
import {
  PatchRefusedError,
  QueueCommandError,
  type QueueControlService,
} from '../../downloads/queue-control.service.js';
import { ErrorBody, IdParams, Text } from '../schemas.js';
import { UUID_FORMAT } from '../validation.js';

const Id = Type.String({ format: UUID_FORMAT });
const MAX_IDS = 10_000;
/**
 * 10,000 ids are ~390 KB of JSON: far past the app's 64 KB default, which made the documented
 * limit unreachable (a 413 from ~1,600 ids on).
 */
export const ID_LIST_BODY_LIMIT = 1024 * 1024;
const Priority = Type.Integer({ minimum: -1000, maximum: 1000 });

export const BatchResultSchema = Type.Object({
  successCount: Type.Integer(),
  failedCount: Type.Integer(),
  errors: Type.Array(
    Type.Object({
      id: Type.String(),
      code: Type.Union([
        Type.Literal('not_found'),
        Type.Literal('conflict'),
        Type.Literal('duplicate_active'),
      ]),
      message: Type.String(),
    }),
  ),
});

export const ReorderBody = Type.Object(
  {
    ids: Type.Array(Id, { minItems: 1, maxItems: MAX_IDS }),
    /** Right before this download; with neither before nor after: the head of the queue. */
    before: Type.Optional(Id),
    after: Type.Optional(Id),
  },
  { additionalProperties: false },
);

const FILTER_STATUSES = [...DOWNLOAD_STATUSES, 'paused', 'scheduled'] as const;

export const BatchBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Id, { minItems: 1, maxItems: MAX_IDS })),
    filter: Type.Optional(
      Type.Object(
        {
          status: Type.Optional(
            Type.Array(Type.Union(FILTER_STATUSES.map((s) => Type.Literal(s))), {
              minItems: 1,
              maxItems: 10,
            }),
          ),
          /** Case-insensitive substring of artist, title or album. */
          text: Type.Optional(Text({ minLength: 1, maxLength: 200 })),
          createdBefore: Type.Optional(Type.String({ format: 'date-time' })),
          createdAfter: Type.Optional(Type.String({ format: 'date-time' })),
        },
        { additionalProperties: false },
      ),
    ),
    action: Type.Union(
      (['cancel', 'retry', 'set_priority', 'pause', 'resume', 'remove'] as const).map((a) =>
        Type.Literal(a),
      ),
    ),
    priority: Type.Optional(Priority),
  },
  { additionalProperties: false },
);

export const PatchDownloadBody = Type.Object(
  {
    priority: Type.Optional(Priority),
    /** 0-based place in the waiting queue (0 = runs next). */
    position: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000_000 })),
    /** Hold the download until then; null ends a schedule. */
    scheduledAt: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);

const QueueOverview = Type.Object({
  byStatus: Type.Record(Type.String(), Type.Integer()),
  byHold: Type.Record(Type.String(), Type.Integer()),
  paused: Type.Boolean(),
  slots: Type.Object({
    /** Transfer slots held: searching, enqueueing, following a transfer (all processes). */
    working: Type.Integer(),
    maxConcurrent: Type.Integer(),
    /** Filing slots held: downloads whose bytes are in being filed (all processes). */
    filing: Type.Integer(),
    maxConcurrentFiling: Type.Integer(),
    /** Downloads whose bytes are in waiting for a filing slot (all processes). */
    filingBacklog: Type.Integer(),
    /** At or above it no new search or enqueue starts (0 = no cap). */
    maxFilingBacklog: Type.Integer(),
    queuedAtSource: Type.Integer(),
    maxQueuedAtSource: Type.Integer(),
    maxConcurrentPerUser: Type.Integer(),
  }),
  timeWindows: Type.Object({
    windows: Type.Array(
      Type.Object({ days: Type.String(), from: Type.String(), to: Type.String() }),
    ),
    timeZone: Type.String(),
    open: Type.Boolean(),
    changesAt: Type.Union([Type.String(), Type.Null()]),
  }),
  nextRetryAt: Type.Union([Type.String(), Type.Null()]),
  nextScheduledAt: Type.Union([Type.String(), Type.Null()]),
});

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };
const ms = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));

export const queueRoutes =
  (deps: {
    queueControl: QueueControlService;
    downloads: DownloadsService;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { queueControl } = deps;

    app.post(
      '/api/downloads/reorder',
      {
        bodyLimit: ID_LIST_BODY_LIMIT,
        schema: {
          summary:
            'Put downloads, in this order, at the head of the queue or before/after another one',
          body: ReorderBody,
          response: { 200: BatchResultSchema, ...errors },
        },
      },
      (request) => {
        const { ids, before, after } = request.body;
        if (before !== undefined && after !== undefined)
          throw new QueueCommandError('body/after: give before or after, not both');
        return queueControl.reorder(
          ids,
          before !== undefined ? { before } : after !== undefined ? { after } : null,
        );
      },
    );

    app.post(
      '/api/downloads/batch',
      {
        bodyLimit: ID_LIST_BODY_LIMIT,
        schema: {
          summary: 'One action over many downloads (by ids or a filter), with a result per id',
          body: BatchBody,
          response: { 200: BatchResultSchema, ...errors },
        },
      },
      (request) => {
        const { ids, filter, action, priority } = request.body;
        const statuses = filter?.status?.filter((s) => s !== 'paused' && s !== 'scheduled');
        const holds = filter?.status?.filter((s) => s === 'paused' || s === 'scheduled');
        return queueControl.batch(
          {
            ...(ids ? { ids } : {}),
            ...(filter
              ? {
                  filter: {
                    ...(statuses?.length ? { statuses } : {}),
                    ...(holds?.length ? { holds } : {}),
                    ...(filter.text ? { text: filter.text } : {}),
                    ...(filter.createdBefore ? { createdBefore: ms(filter.createdBefore) } : {}),
                    ...(filter.createdAfter ? { createdAfter: ms(filter.createdAfter) } : {}),
                  },
                }
              : {}),
          },
          action,
          priority,
        );
      },
    );

    app.patch(
      '/api/downloads/:id',
      {
        schema: {
          summary: 'Change priority, place in the queue, or schedule of one download',
          params: IdParams,
          body: PatchDownloadBody,
          response: { 200: DownloadSchema, ...errors },
        },
      },
      async (request) => {
        const { id } = request.params;
        const { priority, position, scheduledAt } = request.body;
        try {
          await queueControl.patch(id, {
            ...(priority !== undefined ? { priority } : {}),
            ...(position !== undefined ? { position } : {}),
            ...(scheduledAt !== undefined
              ? { scheduledAt: scheduledAt === null ? null : Date.parse(scheduledAt) }
              : {}),
          });
        } catch (error) {
          if (!(error instanceof PatchRefusedError)) throw error;
          if (error.code === 'not_found') throw new NotFoundError(`Download ${id}`);
          throw new ConflictError(error.message);
        }
        return deps.downloads.get(id);
      },
    );

    app.get(
      '/api/queue',
      {
        schema: {
          summary:
            'Queue overview: counts by status and hold, slots and limits, pause, time windows, next timers',
          response: { 200: QueueOverview, ...errors },
        },
      },
      () => queueControl.overview(),
    );

    app.post(
      '/api/queue/pause',
      {
        schema: {
          summary: 'Pause the whole queue (all processes, across restarts)',
          response: { 200: QueueOverview, ...errors },
        },
      },
      async () => {
        await queueControl.pauseAll();
        return queueControl.overview();
      },
    );

    app.post(
      '/api/queue/resume',
      {
        schema: { summary: 'Resume the whole queue', response: { 200: QueueOverview, ...errors } },
      },
      async () => {
        await queueControl.resumeAll();
        return queueControl.overview();
      },
    );
  };
