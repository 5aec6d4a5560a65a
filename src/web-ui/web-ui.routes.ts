import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isApiPath } from '../http/auth.js';

/** Hashed file names change with their content: a browser may keep them for a year, unasked. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NOT_BUILT = 'the web UI is not built: run npm run build\n';

/**
 * The built single-page app (`web/dist`, from `npm run build:web`): `/assets/*` (hashed, cached for
 * good), `index.html` at `/` (revalidated each time, so a new build is picked up at once), and the
 * same `index.html` for any other page a browser asks for (the app's own routes such as /queue).
 * None of it needs a login: the files hold no data, and the app logs in through /api/session.
 */
export async function registerWebUi(
  app: FastifyInstance,
  options: { distDir: string },
): Promise<{ fallback(request: FastifyRequest, reply: FastifyReply): Promise<boolean> }> {
  const distDir = path.resolve(options.distDir);
  const assetsDir = path.join(distDir, 'assets');
  await app.register(fastifyStatic, {
    root: assetsDir,
    prefix: '/assets/',
    index: false,
    // Files are served only by name; a rebuild while running is found (no list made at start).
    wildcard: true,
    cacheControl: false,
    setHeaders: (res, file) => {
      const underAssets = file.startsWith(assetsDir + path.sep);
      res.setHeader('cache-control', underAssets ? IMMUTABLE : 'no-cache');
    },
  });

  const sendIndex = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    let html: Buffer;
    try {
      html = await readFile(path.join(distDir, 'index.html'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    }
    const etag = `"${createHash('sha256').update(html).digest('base64url').slice(0, 27)}"`;
    reply.header('cache-control', 'no-cache').header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/html; charset=utf-8').send(html);
  };
  app.get('/', { schema: { hide: true } }, sendIndex);
  app.get('/index.html', { schema: { hide: true } }, sendIndex);

  return {
    /**
     * For the not-found handler: a page of the app (a GET for HTML outside /api, /metrics and
     * /assets) gets index.html; a file at the build's top level (favicon, robots.txt, from Vite's
     * public folder) is served as it is. True when it answered.
     */
    async fallback(request, reply) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return false;
      const urlPath = request.url.split('?')[0] ?? '/';
      if (isApiPath(urlPath) || urlPath === '/metrics' || urlPath.startsWith('/assets/'))
        return false;
      const topLevel = /^\/([A-Za-z0-9][A-Za-z0-9._-]*)$/.exec(urlPath)?.[1];
      if (topLevel && topLevel !== 'index.html' && (await isFile(path.join(distDir, topLevel)))) {
        await reply.sendFile(topLevel, distDir);
        return true;
      }
      if (!(request.headers.accept ?? '').includes('text/html')) return false;
      await sendIndex(request, reply);
      return true;
    },
  };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
