import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { Type } from 'typebox';
import { Text } from '../http/schemas.js';
import { keyMatcher } from '../session/key-check.js';
import { errorXml } from './newznab.feed.js';
import { NewznabSearchError, type NewznabService } from './newznab.service.js';
import { NzbError } from './nzb.js';

/**
 * The query Lidarr's Newznab indexer sends (NewznabRequestGenerator.cs, NewznabCapabilitiesProvider.cs):
 * `t=caps&apikey=…`, then `t=music&cat=3000,3010&extended=1&apikey=…&offset=0&limit=100&q=&artist=…&album=…`
 * or `t=search&…&q=…`; the enclosure it downloads is `t=get&id=…&apikey=…`. Others are let through.
 */
const NewznabQuery = Type.Object({
  t: Type.Union([
    Type.Literal('caps'),
    Type.Literal('music'),
    Type.Literal('search'),
    Type.Literal('get'),
  ]),
  apikey: Text({ maxLength: 200 }),
  q: Type.Optional(Text({ maxLength: 500 })),
  artist: Type.Optional(Text({ maxLength: 500 })),
  album: Type.Optional(Text({ maxLength: 500 })),
  year: Type.Optional(Type.Integer({ minimum: 0, maximum: 9999 })),
  cat: Type.Optional(Type.String({ maxLength: 500, pattern: '^[0-9]*(,[0-9]+)*$' })),
  extended: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
  id: Type.Optional(Text({ maxLength: 8192 })),
});

const XML = 'application/rss+xml; charset=utf-8';

/**
 * `/newznab/api`: Lidarr's Newznab indexer pointed at SoulSpot (URL `http://host:port`, API path
 * `/newznab/api`, SoulSpot's API key). Outside `/api`, so the key is checked here; a wrong or
 * missing one is a 401 with Newznab's error 100, which Lidarr reports as invalid credentials.
 */
export const newznabRoutes =
  (deps: { newznab: NewznabService; apiKey: string }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { newznab } = deps;
    const keyMatches = keyMatcher(deps.apiKey);

    app.addHook('onRequest', async (request, reply) => {
      const key = (request.query as { apikey?: unknown }).apikey;
      if (typeof key === 'string' && keyMatches(key)) return;
      await reply.code(401).type(XML).send(errorXml(100, 'Incorrect user credentials'));
    });

    app.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error.validation) return reply.code(400).type(XML).send(errorXml(201, error.message));
      if (error instanceof NzbError)
        return reply.code(404).type(XML).send(errorXml(300, error.message));
      if (error instanceof NewznabSearchError)
        return reply.code(200).type(XML).send(errorXml(error.code, error.message));
      app.log.error(error);
      return reply.code(500).type(XML).send(errorXml(900, 'Internal error; see the server log'));
    });

    app.get(
      '/newznab/api',
      {
        schema: {
          summary: 'Newznab API for Lidarr (see README, "Use with Lidarr")',
          querystring: NewznabQuery,
        },
      },
      async (request, reply) => {
        const q = request.query;
        if (q.t === 'caps') return reply.type(XML).send(newznab.caps());
        if (q.t === 'get') {
          const { title, xml } = newznab.nzb(q.id ?? '');
          const file = title.replace(/[^\w .()[\]-]+/g, '_');
          return reply
            .type('application/x-nzb')
            .header('content-disposition', `attachment; filename="${file}.nzb"`)
            .send(xml);
        }
        const xml = await newznab.feed({
          t: q.t,
          q: q.q,
          artist: q.artist,
          album: q.album,
          year: q.year,
          cat: (q.cat ?? '')
            .split(',')
            .filter((c) => c !== '')
            .map(Number),
          offset: q.offset ?? 0,
          origin: `${request.protocol}://${request.host}`,
          apiKey: q.apikey,
        });
        return reply.type(XML).send(xml);
      },
    );
  };
