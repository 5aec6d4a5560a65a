import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BlocklistEntrySchema } from '../../blocklist/blocklist.dto.js';
import type { BlocklistService } from '../../blocklist/blocklist.service.js';
import { ErrorBody, IdParams, Text } from '../schemas.js';

/**
 * A provider id: its shape here, whether it is configured in the service (sources come and go
 * while SoulSpot runs, so the list cannot be fixed in a schema at start).
 */
const providerId = () =>
  Text({
    minLength: 1,
    maxLength: 50,
    description: 'a configured provider id (slskd, a download client, a torznab:<id> indexer)',
  });

/**
 * Unknown fields are rejected so a typo ("expiresInDay") is a 400, not a silent permanent block.
 * (username, filename) is the entry of a unique index, and PostgreSQL refuses a btree entry over
 * 2704 bytes: 100 + 500 code points are at most 2.4 KB of UTF-8. Soulseek names are far shorter.
 */
export const addBlocklistBody = () =>
  Type.Object(
    {
      /** Absent: slskd (a Soulseek peer). One of the configured providers. */
      provider: Type.Optional(providerId()),
      username: Text({ minLength: 1, maxLength: 100, nonBlank: true }),
      /** Absent or null: every file of the user. */
      filename: Type.Optional(
        Type.Union([Text({ minLength: 1, maxLength: 500, nonBlank: true }), Type.Null()]),
      ),
      /** On an existing entry, absent keeps its reason and null clears it. */
      reason: Type.Optional(Type.Union([Text({ maxLength: 1000 }), Type.Null()])),
      /** Absent or null: permanent. Fractions allowed (0.5 = 12 hours); at most 100 years. */
      expiresInDays: Type.Optional(
        Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 36_500 }), Type.Null()]),
      ),
    },
    { additionalProperties: false },
  );

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody };

export const blocklistRoutes =
  (deps: { blocklist: Omit<BlocklistService, 'providers'> }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/blocklist',
      {
        schema: {
          summary: 'Blocked sources in force, newest first (`?provider=` for one provider)',
          querystring: Type.Object({ provider: Type.Optional(providerId()) }),
          response: { 200: Type.Object({ items: Type.Array(BlocklistEntrySchema) }), ...errors },
        },
      },
      async (request) => ({ items: await deps.blocklist.list(request.query) }),
    );

    app.post(
      '/api/blocklist',
      {
        schema: {
          summary:
            'Block a user (no filename) or one file of a user; for a source already listed, updates its reason and expiry',
          body: addBlocklistBody(),
          response: { 201: BlocklistEntrySchema, 200: BlocklistEntrySchema, ...errors },
        },
      },
      async (request, reply) => {
        const { entry, created } = await deps.blocklist.add(request.body);
        return reply.code(created ? 201 : 200).send(entry);
      },
    );

    app.delete(
      '/api/blocklist/:id',
      {
        schema: {
          summary: 'Unblock a source',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await deps.blocklist.remove(request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
