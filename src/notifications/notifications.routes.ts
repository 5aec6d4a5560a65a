import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, IdParams } from '../http/schemas.js';
import {
  CreatedTargetSchema,
  CreateTargetBody,
  DeliveriesQuery,
  DeliverySchema,
  TargetSchema,
  TestResultSchema,
  UpdateTargetBody,
} from './notifications.dto.js';
import type { NotificationsService } from './notifications.service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export const notificationRoutes =
  (deps: { notifications: NotificationsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { notifications } = deps;

    app.get(
      '/api/notifications',
      {
        schema: {
          summary:
            'Notification targets (secrets and tokens are never shown, only hasSecret/hasToken)',
          response: { 200: Type.Object({ items: Type.Array(TargetSchema) }), ...errors },
        },
      },
      async () => ({ items: await notifications.list() }),
    );

    app.post(
      '/api/notifications',
      {
        schema: {
          summary:
            'Add a target (webhook, discord, slack, ntfy, gotify); a webhook without a secret gets one, returned in this answer only',
          body: CreateTargetBody,
          response: { 201: CreatedTargetSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await notifications.create(request.body)),
    );

    app.get(
      '/api/notifications/:id',
      {
        schema: {
          summary: 'One notification target',
          params: IdParams,
          response: { 200: TargetSchema, ...errors },
        },
      },
      (request) => notifications.get(request.params.id),
    );

    app.patch(
      '/api/notifications/:id',
      {
        schema: {
          summary:
            'Change a target: fields absent are kept, null clears; a webhook secret of null is replaced by a new one, returned in this answer only',
          params: IdParams,
          body: UpdateTargetBody,
          response: { 200: CreatedTargetSchema, ...errors },
        },
      },
      (request) => notifications.update(request.params.id, request.body),
    );

    app.delete(
      '/api/notifications/:id',
      {
        schema: {
          summary: 'Remove a target and its delivery record (messages waiting for it are dropped)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await notifications.remove(request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/notifications/:id/test',
      {
        schema: {
          summary: 'Send a test message to the target now; the answer says how it went',
          params: IdParams,
          response: { 200: TestResultSchema, ...errors },
        },
      },
      (request) => notifications.test(request.params.id),
    );

    app.get(
      '/api/notifications/:id/deliveries',
      {
        schema: {
          summary:
            "The target's delivery attempts, newest first: time, outcome, status code, error, duration",
          params: IdParams,
          querystring: DeliveriesQuery,
          response: { 200: Type.Object({ items: Type.Array(DeliverySchema) }), ...errors },
        },
      },
      async (request) => ({
        items: await notifications.deliveries(request.params.id, request.query.limit ?? 100),
      }),
    );
  };
