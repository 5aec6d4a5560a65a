import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ViteDevServer } from 'vite';
import { API_KEY } from './helpers/stack.js';
import { startUiServer, type UiServer } from './helpers/ui-server.js';

/**
 * `npm run web:dev`'s proxy adds the API key to /api requests (SOULSPOT_DEV_API_KEY), so the dev UI
 * skips the login. Requests with the key skip the CSRF check, so the proxy must add it only to the
 * dev page's own requests: another site open in the same browser must not drive SoulSpot through
 * it. A real Vite dev server in front of a real SoulSpot.
 */
describe('the web dev server proxy', () => {
  let soulspot: UiServer;
  let vite: ViteDevServer;
  let url: string;
  beforeAll(async () => {
    soulspot = await startUiServer();
    process.env['SOULSPOT_DEV_URL'] = soulspot.url;
    process.env['SOULSPOT_DEV_API_KEY'] = API_KEY;
    vite = await createServer({
      configFile: path.resolve('web/vite.config.ts'),
      logLevel: 'silent',
      server: { host: '127.0.0.1', port: 0, strictPort: false },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    await vite.listen();
    const address = vite.httpServer?.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await vite?.close();
    await soulspot?.close();
    delete process.env['SOULSPOT_DEV_URL'];
    delete process.env['SOULSPOT_DEV_API_KEY'];
  });

  const pause = async (headers: Record<string, string>) => {
    const res = await fetch(`${url}/api/queue/pause`, { method: 'POST', headers });
    await res.arrayBuffer();
    return res.status;
  };
  const paused = async () => {
    const res = await fetch(`${soulspot.url}/api/queue`, { headers: { 'x-api-key': API_KEY } });
    return ((await res.json()) as { paused: boolean }).paused;
  };

  it('refuses a bodiless cross-site POST (a "simple" request no preflight stops)', async () => {
    expect(await pause({ origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })).toBe(
      401,
    );
    // Without Sec-Fetch-Site (an older browser), the foreign Origin alone decides.
    expect(await pause({ origin: 'http://evil.example' })).toBe(401);
    expect(await paused()).toBe(false);
  });

  it("adds the key to the dev page's own requests", async () => {
    expect(await pause({ origin: url, 'sec-fetch-site': 'same-origin' })).toBeLessThan(300);
    expect(await paused()).toBe(true);
    // A tool such as curl (no Origin, no Sec-Fetch-Site) is let through as before.
    const res = await fetch(`${url}/api/queue/resume`, { method: 'POST' });
    expect(res.status).toBeLessThan(300);
    await res.arrayBuffer();
    expect(await paused()).toBe(false);
  });
});
