import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SseClient } from '../../events/sse.broker.js';
import type { AppDeps } from '../app.js';

export const eventsRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/events',
      {
        schema: {
          summary:
            'Server-sent events from the event log: download.updated (a Download with changed, ' +
            'the fields that changed), download.progress ({id, progress, bytesTransferred, ' +
            'queuePosition, updatedAt, speed?}), download.completed, download.failed, ' +
            'album.updated, album.completed (an Album without its tracks), ' +
            'downloads.changed, provider.health, provider.circuit, quality-profile.changed ' +
            '({id, change, profile?}); reset when Last-Event-ID is ' +
            'older than the oldest event kept; heartbeat comments',
          querystring: Type.Object({
            lastEventId: Type.Optional(
              Type.Integer({
                minimum: 0,
                description:
                  'Replay events after this id, as the Last-Event-ID header does (which wins); ' +
                  'for a first connection, where EventSource cannot set headers',
              }),
            ),
          }),
          produces: ['text/event-stream'],
        },
      },
      (request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, {
          // A hijacked reply drops what was set on it (the security headers of every answer):
          // they are written here with the stream's own.
          ...setHeaders(reply.getHeaders()),
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies such as nginx must not buffer a live stream.
          'x-accel-buffering': 'no',
        });
        reply.raw.write('retry: 2000\n\n');
        const header = request.headers['last-event-id'];
        const fromHeader =
          typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : NaN;
        const lastId = Number.isSafeInteger(fromHeader) ? fromHeader : request.query.lastEventId;
        const detach = deps.broker.attach(sseClient(reply.raw), lastId);
        request.raw.on('close', detach);
      },
    );
  };

function setHeaders(
  headers: Record<string, string | number | string[] | undefined>,
): Record<string, string | number | string[]> {
  const out: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) out[name] = value;
  return out;
}

function sseClient(res: ServerResponse): SseClient {
  return {
    // A write after end would raise an error event on the response: drop it instead.
    write: (text) => (res.writableEnded || res.destroyed ? true : res.write(text)),
    drained: () =>
      new Promise<void>((resolve) => {
        if (res.destroyed || res.writableEnded) return resolve();
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      }),
    get buffered() {
      return res.writableLength;
    },
    end: () => res.end(),
  };
}
