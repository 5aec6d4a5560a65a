import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../app.js';

export const eventsRoutes =
  (deps: AppDeps): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/events',
      {
        schema: {
          summary:
            'Server-sent events: download.updated (a Download), provider.health; heartbeat comments',
          produces: ['text/event-stream'],
        },
      },
      (request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies such as nginx must not buffer a live stream.
          'x-accel-buffering': 'no',
        });
        reply.raw.write('retry: 2000\n\n');
        const lastId = Number(request.headers['last-event-id']);
        const detach = deps.broker.attach(
          { send: (text) => void reply.raw.write(text) },
          Number.isInteger(lastId) && lastId >= 0 ? lastId : undefined,
        );
        request.raw.on('close', detach);
      },
    );
  };
