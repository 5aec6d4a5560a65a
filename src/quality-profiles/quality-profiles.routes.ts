import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ErrorBody, IdParams } from '../http/schemas.js';
import {
  CreateQualityProfileBody,
  PatchQualityProfileBody,
  QualityProfileSchema,
} from './quality-profiles.dto.js';
import type { QualityProfileService } from './quality-profiles.service.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 409: ErrorBody };

/** /api/quality-profiles: thin; every rule is in the service. */
export const qualityProfileRoutes =
  (deps: { qualityProfiles: QualityProfileService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { qualityProfiles } = deps;

    app.get(
      '/api/quality-profiles',
      {
        schema: {
          summary: 'Every quality profile: the built-ins first, then yours, oldest first',
          response: { 200: Type.Object({ items: Type.Array(QualityProfileSchema) }), ...errors },
        },
      },
      async () => ({ items: await qualityProfiles.list() }),
    );

    app.get(
      '/api/quality-profiles/:id',
      {
        schema: {
          summary: 'One quality profile',
          params: IdParams,
          response: { 200: QualityProfileSchema, ...errors },
        },
      },
      (request) => qualityProfiles.get(request.params.id),
    );

    app.post(
      '/api/quality-profiles',
      {
        schema: {
          summary:
            'Create a profile; with copyOf, a copy of that profile (a built-in or any) with the fields sent changed',
          body: CreateQualityProfileBody,
          response: { 201: QualityProfileSchema, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send(await qualityProfiles.create(request.body)),
    );

    app.patch(
      '/api/quality-profiles/:id',
      {
        schema: {
          summary:
            'Change a profile (built-ins too); null clears a bound; isDefault true makes it the default',
          params: IdParams,
          body: PatchQualityProfileBody,
          response: { 200: QualityProfileSchema, ...errors },
        },
      },
      (request) => qualityProfiles.update(request.params.id, request.body),
    );

    app.delete(
      '/api/quality-profiles/:id',
      {
        schema: {
          summary: 'Delete a profile; not the default (409) and not a built-in (409)',
          params: IdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (request, reply) => {
        await qualityProfiles.remove(request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
