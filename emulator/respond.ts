// Reply and request helpers shared by the route modules: slskd's JSON conventions in one place.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, toJson } from './format.js';

export const API = '/api/v0';

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(toJson(body));
}

export const sendEmpty = (reply: FastifyReply, status: number): FastifyReply =>
  reply.code(status).send();

/** Reads a JSON request body the way a `[Consumes("application/json")]` controller does. */
export function jsonBody(req: FastifyRequest): unknown {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!/^application\/([\w.+-]+\+)?json\s*(;|$)/.test(type)) throw new ApiError(415);
  const raw = typeof req.body === 'string' ? req.body : '';
  if (raw.trim() === '') throw new ApiError(400, 'A non-empty request body is required.');
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new ApiError(400, `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

export const TOO_MANY =
  'Only one concurrent operation is permitted. Wait until the previous request completes';

/** ASP.NET binds `?flag=true` case-insensitively; anything else is false. */
export const queryFlag = (value: string | undefined): boolean => /^true$/i.test(value ?? '');
