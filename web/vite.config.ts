// The web UI's own build (root web/, output web/dist, served by the server at /).
// The server sends `script-src 'self'; style-src 'self'`: nothing may be inlined into index.html,
// so the module preload polyfill (an inline script) is off and assets are never inlined as data.
import type { IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const target = process.env['SOULSPOT_DEV_URL'] ?? 'http://127.0.0.1:8765';
const devKey = process.env['SOULSPOT_DEV_API_KEY'];

export default defineConfig({
  root,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    cssCodeSplit: true,
    target: 'es2022',
  },
  server: {
    // Dev only: the API key is added by the proxy so the dev UI can skip the login page; the
    // built UI never sees a key except the one typed into its login form. A request with the key
    // skips the server's CSRF check, so the key goes only on the dev page's own requests: another
    // site open in the same browser could otherwise pause or retry through a bodiless POST (a
    // "simple" request, sent without a preflight).
    proxy: {
      '/api': {
        target,
        changeOrigin: true,
        ...(devKey
          ? {
              configure: (proxy) => {
                proxy.on('proxyReq', (proxyReq, req) => {
                  if (fromDevPage(req.headers)) proxyReq.setHeader('x-api-key', devKey);
                });
              },
            }
          : {}),
      },
    },
  },
});

/**
 * The dev page itself (Sec-Fetch-Site same-origin, or none: typed into the address bar), or a tool
 * that sends neither that nor an Origin (curl); without Sec-Fetch-Site, an Origin must be ours.
 */
function fromDevPage(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined) return site === 'same-origin' || site === 'none';
  const origin = headers.origin;
  return origin === undefined || origin === `http://${headers.host ?? ''}`;
}
