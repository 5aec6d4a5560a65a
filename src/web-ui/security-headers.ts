import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * The web UI's Content-Security-Policy: scripts, styles, images, fonts and connections from
 * SoulSpot itself only, no inline script or style, no plugins, no framing, no <base>. A remote
 * string that slipped into the page as HTML still could not run.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Security headers on every response. The API's JSON gets them too: nosniff keeps a browser from
 * reading a JSON body (with a peer's file name in it) as HTML, and the CSP makes a response opened
 * directly inert. The API docs pages replace the CSP with their own (api-docs.ts).
 */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    setSecurityHeaders(reply);
  });
}

/**
 * The same headers on one reply; also for answers made before the hooks run (Fastify's
 * `frameworkErrors`, e.g. a bad percent-encoding, whose message repeats the URL).
 */
export function setSecurityHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('content-security-policy', UI_CSP);
}
