import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody } from '../http/schemas.js';
import type { Role } from './source-config.js';
import {
  createSourceBody,
  SourceIdParams,
  sourceSchema,
  TestResultSchema,
  testSourceBody,
  updateSourceBody,
} from './sources.dto.js';
import type { SourcesService } from './sources.service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** The same five routes under /api/indexers and /api/download-clients. */
export const sourceRoutes =
  (deps: { sources: SourcesService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { sources } = deps;
    const sets: Array<[Role, string, string]> = [
      ['indexer', '/api/indexers', 'indexer (Torznab/Newznab)'],
      ['client', '/api/download-clients', 'download client (qBittorrent, SABnzbd, NZBGet)'],
    ];
    for (const [role, base, what] of sets) {
      const Dto = sourceSchema(role);
      app.get(
        base,
        {
          schema: {
            summary: `Every ${what}: the environment's (read-only) and the API's; secrets only as set/not set`,
            response: { 200: Type.Object({ items: Type.Array(Dto) }), ...errors },
          },
        },
        () => sources.list(role),
      );
      app.post(
        base,
        {
          schema: {
            summary: `Add a ${what}; it is used at once, in every process within a second`,
            body: createSourceBody(role),
            response: { 201: Dto, ...errors },
          },
        },
        async (request, reply) => reply.code(201).send(await sources.create(role, request.body)),
      );
      app.post(
        `${base}/test`,
        {
          schema: {
            summary: `Talk to a ${what} once (indexer: t=caps; client: login and version)`,
            body: testSourceBody(role),
            response: { 200: TestResultSchema, ...errors },
          },
        },
        (request) => sources.test(role, request.body),
      );
      app.get(
        `${base}/:id`,
        {
          schema: {
            summary: `One ${what}`,
            params: SourceIdParams,
            response: { 200: Dto, ...errors },
          },
        },
        (request) => sources.get(role, request.params.id),
      );
      app.patch(
        `${base}/:id`,
        {
          schema: {
            summary: `Change a ${what}: settings given replace the stored ones, the secret absent is kept`,
            params: SourceIdParams,
            body: updateSourceBody(role),
            response: { 200: Dto, ...errors },
          },
        },
        (request) => sources.update(role, request.params.id, request.body),
      );
      app.delete(
        `${base}/:id`,
        {
          schema: {
            summary: `Remove a ${what}; downloads at a removed client wait for it`,
            params: SourceIdParams,
            response: { 204: Type.Null(), ...errors },
          },
        },
        async (request, reply) => {
          await sources.remove(role, request.params.id);
          return reply.code(204).send(null);
        },
      );
    }
  };
