import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, IdParams } from '../http/schemas.js';
import {
  CreateFeedBody,
  CreateRuleBody,
  EntriesQuery,
  EntrySchema,
  FeedSchema,
  PollResultSchema,
  RuleSchema,
  UpdateFeedBody,
  UpdateRuleBody,
} from './feeds.dto.js';
import type { FeedsService } from './feeds.service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export const feedRoutes =
  (deps: { feeds: FeedsService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { feeds } = deps;

    app.get(
      '/api/feeds',
      {
        schema: {
          summary: 'Watched RSS/Atom feeds, with what their last poll found',
          response: { 200: Type.Object({ items: Type.Array(FeedSchema) }), ...errors },
        },
      },
      async () => ({ items: await feeds.listFeeds() }),
    );

    app.post(
      '/api/feeds',
      {
        schema: {
          summary:
            'Add a feed (polled at once, then every intervalMinutes); private addresses need allowPrivateAddress',
          body: CreateFeedBody,
          response: { 201: FeedSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await feeds.createFeed(request.body)),
    );

    app.get(
      '/api/feeds/:id',
      {
        schema: { summary: 'One feed', params: IdParams, response: { 200: FeedSchema, ...errors } },
      },
      (request) => feeds.getFeed(request.params.id),
    );

    app.patch(
      '/api/feeds/:id',
      {
        schema: {
          summary: 'Change a feed: fields absent are kept',
          params: IdParams,
          body: UpdateFeedBody,
          response: { 200: FeedSchema, ...errors },
        },
      },
      (request) => feeds.updateFeed(request.params.id, request.body),
    );

    app.delete(
      '/api/feeds/:id',
      {
        schema: {
          summary: 'Remove a feed and its entries (downloads it started stay)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await feeds.deleteFeed(request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/api/feeds/:id/poll',
      {
        schema: {
          summary:
            'Poll the feed now (409 while a poll of it runs); matches are accepted before the answer',
          params: IdParams,
          response: { 200: PollResultSchema, 409: ErrorBody, ...errors },
        },
      },
      (request) => feeds.pollNow(request.params.id),
    );

    app.get(
      '/api/feeds/:id/entries',
      {
        schema: {
          summary:
            "The feed's entries, newest first: what each poll found, and why each matched the watchlist or not",
          params: IdParams,
          querystring: EntriesQuery,
          response: {
            200: Type.Object({
              items: Type.Array(EntrySchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      (request) =>
        feeds.entries(request.params.id, {
          limit: request.query.limit ?? 100,
          ...(request.query.cursor !== undefined ? { cursor: request.query.cursor } : {}),
        }),
    );

    app.get(
      '/api/watchlist',
      {
        schema: {
          summary:
            'Watched artists (with optional album and keyword rules) that feed entries are matched against',
          response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...errors },
        },
      },
      async () => ({ items: await feeds.listRules() }),
    );

    app.post(
      '/api/watchlist',
      {
        schema: {
          summary:
            'Watch an artist: a matching feed entry becomes an album (or track) download, once',
          body: CreateRuleBody,
          response: { 201: RuleSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await feeds.createRule(request.body)),
    );

    app.patch(
      '/api/watchlist/:id',
      {
        schema: {
          summary: 'Change a watchlist rule: fields absent are kept, null clears',
          params: IdParams,
          body: UpdateRuleBody,
          response: { 200: RuleSchema, ...errors },
        },
      },
      (request) => feeds.updateRule(request.params.id, request.body),
    );

    app.delete(
      '/api/watchlist/:id',
      {
        schema: {
          summary: 'Stop watching (entries it matched keep their record)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await feeds.deleteRule(request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
