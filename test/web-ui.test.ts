import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../src/web-ui/api-docs.js';
import { API_KEY } from './helpers/stack.js';
import { fakeWebDist, login, startUiServer, type UiServer } from './helpers/ui-server.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'; form-action 'self'";
const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

/** The built UI served by a real SoulSpot over real HTTP, from a Vite-shaped folder made here. */
describe('the web UI files', () => {
  const dist = fakeWebDist();
  let server: UiServer;
  beforeAll(async () => {
    server = await startUiServer({ webDist: dist.dir });
  });
  afterAll(async () => {
    await server?.close();
    dist.cleanup();
  });
  // Each body is read into the Response (a half-read one would hold app.close at the end).
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, { headers });
    const body = Buffer.from(await res.arrayBuffer());
    return {
      status: res.status,
      headers: res.headers,
      size: body.length,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')) as unknown,
    };
  };

  const expectUiHeaders = (res: { headers: Headers }) => {
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  };

  it('serves index.html at / without a login, revalidated each time, with the strict CSP', async () => {
    const res = await get('/', HTML);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expectUiHeaders(res);
    const html = res.text();
    expect(html).toContain(`/assets/${dist.script}`);
    // A revalidation with the ETag costs no body.
    const again = await get('/', { ...HTML, 'if-none-match': res.headers.get('etag')! });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets cached for a year as immutable, with their types', async () => {
    const js = await get(`/assets/${dist.script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(js.text()).toContain('soulspot');
    expectUiHeaders(js);
    const css = await get(`/assets/${dist.style}`);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    // A missing asset is a 404, never index.html (a script tag would get HTML).
    const missing = await get('/assets/index-gone.js', HTML);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/json');
  });

  it('answers the app routes (/queue, /downloads/x) with index.html for a browser', async () => {
    for (const p of ['/queue', '/downloads/0b6c3f3e', '/settings?tab=naming']) {
      const res = await get(p, HTML);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expectUiHeaders(res);
      expect(res.text()).toContain('<div id="app">');
    }
    // Not for a client that does not ask for HTML, nor for POST.
    expect((await get('/queue', { accept: 'application/json' })).status).toBe(404);
    expect((await fetch(`${server.url}/queue`, { method: 'POST', headers: HTML })).status).toBe(
      404,
    );
  });

  it('serves a top-level file of the build (favicon) as it is', async () => {
    const res = await get('/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('image/svg+xml');
    expect(res.headers.get('cache-control')).toBe('no-cache');
  });

  it('keeps unknown /api paths JSON: 401 without a key, 404 with one, even for a browser', async () => {
    const anon = await get('/api/nope', HTML);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toContain('application/json');
    const encoded = await get('/%61pi/nope', HTML);
    expect(encoded.status).toBe(401);
    const keyed = await get('/api/nope', { ...HTML, 'x-api-key': API_KEY });
    expect(keyed.status).toBe(404);
    expect(keyed.json()).toMatchObject({ statusCode: 404, message: 'No route GET /api/nope' });
    expect(keyed.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('puts the same headers on a URL refused before routing (bad percent-encoding)', async () => {
    for (const path of ['/api/downloads/%ff', '/%ff<img src=x>']) {
      const res = await get(path, HTML);
      expect(res.status).toBe(400);
      expectUiHeaders(res);
    }
  });

  it('gives API JSON responses nosniff', async () => {
    const res = await get('/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('puts the API docs behind the login: 401 without, HTML with a session, the document as JSON', async () => {
    const anon = await get('/api/docs', HTML);
    expect(anon.status).toBe(401);
    expect((await get('/api/docs/json')).status).toBe(401);

    const { cookie } = await login(server.url);
    const page = await get('/api/docs', { ...HTML, cookie });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toBe(DOCS_CSP);
    const html = page.text();
    expect(html).toContain('swagger-ui-bundle.js');
    // No inline script: the policy's script-src 'self' would block it.
    expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
    const bundle = await get('/api/docs/static/swagger-ui-bundle.js', { cookie });
    expect(bundle.status).toBe(200);
    expect(bundle.size).toBeGreaterThan(100_000);

    const doc = await get('/api/docs/json', { cookie });
    expect(doc.status).toBe(200);
    const body = doc.json() as { openapi: string; paths: Record<string, unknown> };
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/api/downloads', '/api/session', '/api/health']),
    );
    const keyed = await get('/api/docs/json', { 'x-api-key': API_KEY });
    expect(keyed.status).toBe(200);
  });
});

describe('without a built UI', () => {
  let server: UiServer;
  beforeAll(async () => {
    server = await startUiServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers / (and app routes) with 503 and how to build it; the API still works', async () => {
    for (const p of ['/', '/queue']) {
      const res = await fetch(`${server.url}${p}`, { headers: HTML });
      expect(res.status, p).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await res.text()).toBe('the web UI is not built: run npm run build\n');
    }
    const api = await fetch(`${server.url}/api/downloads`, { headers: { 'x-api-key': API_KEY } });
    expect(api.status).toBe(200);
  });
});
