import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError } from 'fastify';
import { Type, type Static } from 'typebox';
import { Text } from '../http/schemas.js';
import { keyMatcher } from '../session/key-check.js';
import { DEFAULT_CATEGORY, SabError, type SabService } from './sab.service.js';

/** An NZB from SoulSpot's own indexer is about a kilobyte; anything near this is not one. */
export const MAX_NZB_BYTES = 256 * 1024;

const SAB_MODES = [
  'version',
  'get_config',
  'fullstatus',
  'addfile',
  'queue',
  'history',
  'retry',
] as const;

/**
 * The query of every SABnzbd call Lidarr makes (SabnzbdProxy.cs builds `?mode=…&…&apikey=…&output=json`).
 * Other parameters are let through, as SABnzbd ignores what it does not know.
 */
const SabQuery = Type.Object({
  mode: Type.Union(SAB_MODES.map((m) => Type.Literal(m))),
  apikey: Text({ maxLength: 200 }),
  output: Type.Optional(Type.Literal('json')),
  name: Type.Optional(Type.Union([Type.Literal('delete'), Text({ maxLength: 200 })])),
  value: Type.Optional(Text({ maxLength: 20_000 })),
  cat: Type.Optional(Text({ maxLength: 100 })),
  category: Type.Optional(Text({ maxLength: 100 })),
  priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 2 })),
  start: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  del_files: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  archive: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  skip_dashboard: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
});

/**
 * `/sabnzbd/api`: Lidarr's SABnzbd download client pointed at SoulSpot (host, port, URL base
 * `/sabnzbd`, SoulSpot's API key). Outside `/api`, so the key is checked here, as SABnzbd checks
 * its own: `apikey` in the query, never optional (SABnzbd lets `version` through without one;
 * SoulSpot does not). Errors are SABnzbd's shape, `{status: false, error}`, which Lidarr reads.
 */
export const sabRoutes =
  (deps: { sab: SabService; apiKey: string }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { sab } = deps;
    const keyMatches = keyMatcher(deps.apiKey);
    // Only this plugin's routes take multipart bodies, and only this small.
    await app.register(multipart, {
      limits: { fileSize: MAX_NZB_BYTES, files: 1, fields: 10, parts: 11, fieldSize: 1024 },
    });

    app.addHook('onRequest', async (request, reply) => {
      const key = (request.query as { apikey?: unknown }).apikey;
      if (typeof key === 'string' && keyMatches(key)) return;
      // Before the body is read: a wrong key uploads nothing.
      await reply.code(401).send({ status: false, error: 'API Key Incorrect' });
    });

    app.setErrorHandler((error: FastifyError, _request, reply) => {
      if (error instanceof SabError)
        return reply.code(200).send({ status: false, error: error.message });
      const status = error.validation
        ? 400
        : error.statusCode && error.statusCode < 500
          ? error.statusCode
          : 500;
      if (status === 500) app.log.error(error);
      return reply.code(status).send({
        status: false,
        error: status === 500 ? 'Internal error; see the server log' : error.message,
      });
    });

    const handler = async (request: {
      query: Static<typeof SabQuery>;
      isMultipart(): boolean;
      file(): Promise<{ toBuffer(): Promise<Buffer>; fieldname: string } | undefined>;
    }) => {
      const q = request.query;
      const category = q.category || undefined;
      switch (q.mode) {
        case 'version':
          return sab.version();
        case 'get_config':
          return sab.config();
        case 'fullstatus':
          return sab.fullstatus();
        case 'addfile': {
          if (!request.isMultipart())
            throw new SabError('addfile needs the NZB as a multipart file "name"');
          const file = await request.file();
          if (!file || file.fieldname !== 'name')
            throw new SabError('addfile needs the NZB as a multipart file "name"');
          const bytes = await file.toBuffer();
          return sab.addFile(bytes.toString('utf8'), q.cat || DEFAULT_CATEGORY, q.priority ?? -100);
        }
        case 'queue':
          if (q.name === 'delete') return sab.deleteFromQueue(ids(q.value));
          return sab.queue(q.start ?? 0, q.limit ?? 0, category);
        case 'history':
          if (q.name === 'delete') return sab.deleteFromHistory(ids(q.value));
          return sab.history(q.start ?? 0, q.limit ?? 0, category);
        case 'retry':
          if (!q.value) throw new SabError('retry needs value=<nzo_id>');
          return sab.retry(q.value);
      }
    };

    const schema = {
      summary: 'SABnzbd API subset for Lidarr (see README, "Use with Lidarr")',
      querystring: SabQuery,
    };
    app.get('/sabnzbd/api', { schema }, handler);
    app.post('/sabnzbd/api', { schema }, handler);
  };

/** `value=a,b,c` (SABnzbd takes several ids comma-separated). */
function ids(value: string | undefined): string[] {
  if (!value) throw new SabError('delete needs value=<nzo_id>[,<nzo_id>…]');
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '')
    .slice(0, 500);
}
