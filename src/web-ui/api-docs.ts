import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The docs page's policy: Swagger UI's bundle sets inline `style` attributes, so styles may be
 * inline here (never scripts); everything else is as strict as the UI's.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/**
 * Swagger UI at /api/docs, the OpenAPI document at /api/docs/json (and /yaml). Under /api, so the
 * auth hook asks for the key or a session: a browser that is logged in to the UI opens it as is.
 */
export async function registerApiDocs(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: DOCS_CSP,
    uiConfig: { deepLinking: false },
  });
}
