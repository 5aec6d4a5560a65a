import { STATUS_CODES } from 'node:http';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ErrorObject } from 'ajv';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  BadCursorError,
  ConflictError,
  NotFoundError,
  type DownloadsService,
} from '../downloads/downloads.service.js';
import type { SseBroker } from '../events/sse.broker.js';
import type { HealthBoard } from '../providers/health-monitor.js';
import type { TranscodeChecker } from '../library/transcode-check.js';
import type { BlocklistService } from '../blocklist/blocklist.service.js';
import { blocklistRoutes } from './routes/blocklist.routes.js';
import { bulkRoutes } from './routes/bulk.routes.js';
import { downloadsRoutes } from './routes/downloads.routes.js';
import { eventsRoutes } from './routes/events.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { settingsRoutes } from './routes/settings.routes.js';
import { SettingsValidationError, type SettingsService } from '../settings/settings.service.js';
import { QueueCommandError, type QueueControlService } from '../downloads/queue-control.service.js';
import { queueRoutes } from './routes/queue.routes.js';
import type { QualityProfileService } from '../quality-profiles/quality-profiles.service.js';
import { qualityProfileRoutes } from '../quality-profiles/quality-profiles.routes.js';
import { NamingPatternError } from '../library/naming-pattern.js';
import { namingRoutes } from '../naming/naming.routes.js';
import type { AlbumsService } from '../albums/albums.service.js';
import { albumRoutes } from '../albums/albums.routes.js';
import { acceptJsonBodiesOnly } from './body.js';
import type { SearchService } from '../search/search.service.js';
import { searchRoutes } from '../search/search.routes.js';
import type { SourcePickService } from '../downloads/source-pick.service.js';
import { describeValidation, validators } from './validation.js';
import {
  NotificationInputError,
  type NotificationsService,
} from '../notifications/notifications.service.js';
import { notificationRoutes } from '../notifications/notifications.routes.js';
import type { HealthChecks } from '../health/health-checks.service.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsRoutes } from '../metrics/metrics.routes.js';
import type { BackupService } from '../backup/backup.service.js';
import { backupRoutes } from '../backup/backup.routes.js';
import type { StatsService } from '../stats/stats.service.js';
import { statsRoutes } from '../stats/stats.routes.js';
import type { ExportService } from '../export/export.service.js';
import { exportRoutes } from '../export/export.routes.js';
import type { SessionService } from '../session/session.service.js';
import { sessionRoutes } from '../session/session.routes.js';
import { registerApiDocs } from '../web-ui/api-docs.js';
import { addSecurityHeaders, setSecurityHeaders } from '../web-ui/security-headers.js';
import { registerWebUi } from '../web-ui/web-ui.routes.js';
import { installAuth } from './auth.js';
import type { FeedsService } from '../feeds/feeds.service.js';
import { feedRoutes } from '../feeds/feeds.routes.js';
import type { SourcesService } from '../sources/sources.service.js';
import { sourceRoutes } from '../sources/sources.routes.js';

export interface AppDeps {
  apiKey: string;
  downloads: DownloadsService;
  blocklist: BlocklistService;
  health: HealthBoard;
  broker: SseBroker;
  settings: SettingsService;
  queueControl: QueueControlService;
  qualityProfiles: QualityProfileService;
  /** Manual search and pick; main.ts always gives them (absent only in tests of other routes). */
  search?: SearchService;
  sourcePick?: SourcePickService;
  /** Whether the fake-lossless check can run (ffmpeg present), for /api/health. */
  transcode?: Pick<TranscodeChecker, 'availability'>;
  /** Absent where an app is built without albums (some API tests). */
  albums?: AlbumsService;
  /** Absent where an app is built without notifications (some API tests). */
  notifications?: NotificationsService;
  /** The health checks listed in /api/health (`checks: []` without them). */
  healthChecks?: Pick<HealthChecks, 'run' | 'queueCounts'>;
  /** `/metrics`, opened by the API key or `metricsKey` (absent: no /metrics route). */
  metrics?: Pick<Metrics, 'render'>;
  metricsKey?: string | null;
  /** `/api/system/backup(s)`; absent: no such routes. */
  backups?: BackupService;
  /** Where a failed backup's details go. */
  log?: { error(details: object, message: string): void };
  /** Statistics and the history export; absent where an app is built without them (some tests). */
  stats?: StatsService;
  exports?: ExportService;
  /** Web UI logins (/api/session and the session cookie); absent: X-Api-Key only. */
  sessions?: SessionService;
  /** The built web UI (`web/dist`) served at `/`; absent: no UI routes (API tests). */
  webDist?: string;
  /**
   * Behind a reverse proxy: take the client's address, scheme and host from X-Forwarded-For,
   * -Proto and -Host (so an HTTPS proxy gets Secure cookies and the Origin check sees https).
   */
  trustProxy?: boolean;
  logger?: boolean | object;
  /** Lidarr's SABnzbd and Newznab endpoints and /api/lidarr/sync (src/lidarr); absent: none. */
  lidarr?: { routes(app: FastifyInstance): Promise<void> };
  /** RSS/Atom feeds and the watchlist (/api/feeds, /api/watchlist); absent: no such routes. */
  feeds?: FeedsService;
  /** Indexers and download clients through the API (/api/indexers, /api/download-clients). */
  sources?: SourcesService;
}

export type App = FastifyInstance;

/**
 * The HTTP API and the web UI's files: schemas validate every input; X-Api-Key or a session cookie
 * guards everything under /api but /api/health and the login (auth.ts).
 */
export async function buildApp(deps: AppDeps): Promise<App> {
  // Defence in depth: config already refuses short keys, but an empty one here would switch the
  // check below off (two empty buffers compare equal), so no caller may build the app that way.
  if (typeof deps.apiKey !== 'string' || deps.apiKey.trim().length < 16) {
    throw new Error('buildApp: the API key must be at least 16 characters');
  }
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: 64 * 1024,
    // A path whose percent-encoding is not UTF-8 ("/api/downloads/%ff") is refused before routing;
    // Fastify's own answer would not say which part of the request is wrong.
    frameworkErrors: badUrl,
    // The nearest hop only, not `true`: with `true` the client address is the left-most
    // X-Forwarded-For entry, which the client writes itself (a proxy appends to the header it was
    // sent), so each login try could name a new address and pass the limiter. Trusting the socket's
    // peer alone takes the address the proxy appended, and still its -Proto and -Host. (A hop count
    // would not do: Fastify then trusts no forwarded scheme or host at all.)
    trustProxy: deps.trustProxy ? (_address: string, hop: number) => hop === 0 : false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  const ajv = validators();
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? ajv.body : ajv.other).compile(schema),
  );
  app.setSchemaErrorFormatter(
    (errors, dataVar) => new Error(describeValidation(errors as ErrorObject[], dataVar)),
  );
  acceptJsonBodiesOnly(app);

  await app.register(swagger, {
    openapi: {
      info: { title: 'SoulSpot API', version: '0.1.0', description: 'Music download manager' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          // /metrics also takes its key as a bearer token (Prometheus' `authorization` block).
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ apiKey: [] }],
    },
  });

  addSecurityHeaders(app);
  // The cookie parser runs in its own onRequest hook, registered before the auth hook that reads it.
  if (deps.sessions) await app.register(cookie);
  installAuth(app, { apiKey: deps.apiKey, sessions: deps.sessions });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.validation) {
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
    if (error instanceof NotFoundError)
      return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: error.message });
    if (error instanceof ConflictError)
      return reply.code(409).send({ statusCode: 409, error: 'Conflict', message: error.message });
    if (error instanceof QueueCommandError)
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: error.message });
    if (error instanceof SettingsValidationError)
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: `body/${error.message}` });
    if (error instanceof NotificationInputError)
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: `body/${error.message}` });
    if (error instanceof NamingPatternError)
      return reply
        .code(400)
        .send({ statusCode: 400, error: 'Bad Request', message: `body/${error.message}` });
    if (error instanceof BadCursorError)
      return reply.code(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: `querystring/cursor: ${error.message}`,
      });
    // 503: a service that could not reach the provider says so (POST /api/albums without tracks).
    const status =
      error.statusCode &&
      ((error.statusCode >= 400 && error.statusCode < 500) || error.statusCode === 503)
        ? error.statusCode
        : 500;
    if (status === 500) app.log.error(error);
    return reply.code(status).send({
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      message: status === 500 ? 'Internal error; see the server log' : error.message,
    });
  });
  const ui =
    deps.webDist !== undefined ? await registerWebUi(app, { distDir: deps.webDist }) : null;
  app.setNotFoundHandler(async (request, reply) => {
    if (ui && (await ui.fallback(request, reply))) return reply;
    return reply.code(404).send({
      statusCode: 404,
      error: 'Not Found',
      message: `No route ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  await app.register(healthRoutes(deps));
  await app.register(downloadsRoutes(deps));
  await app.register(bulkRoutes(deps));
  await app.register(blocklistRoutes(deps));
  await app.register(eventsRoutes(deps));
  await app.register(settingsRoutes(deps));
  await app.register(queueRoutes(deps));
  await app.register(qualityProfileRoutes(deps));
  if (deps.search && deps.sourcePick)
    await app.register(searchRoutes({ search: deps.search, sourcePick: deps.sourcePick }));
  await app.register(namingRoutes(deps));
  if (deps.albums) await app.register(albumRoutes({ albums: deps.albums }));
  if (deps.notifications)
    await app.register(notificationRoutes({ notifications: deps.notifications }));
  if (deps.metrics) {
    const keys = [deps.apiKey, ...(deps.metricsKey ? [deps.metricsKey] : [])];
    await app.register(metricsRoutes({ metrics: deps.metrics, keys }));
  }
  if (deps.backups) {
    const log = deps.log ?? {
      error: (details: object, msg: string) => app.log.error(details, msg),
    };
    await app.register(backupRoutes({ backups: deps.backups, log }));
  }
  if (deps.stats) await app.register(statsRoutes({ stats: deps.stats }));
  if (deps.exports) await app.register(exportRoutes({ exports: deps.exports }));
  if (deps.sessions) await app.register(sessionRoutes({ sessions: deps.sessions, now: Date.now }));
  if (deps.lidarr) await deps.lidarr.routes(app);
  if (deps.feeds) await app.register(feedRoutes({ feeds: deps.feeds }));
  if (deps.sources) await app.register(sourceRoutes({ sources: deps.sources }));
  await registerApiDocs(app);
  return app;
}

/** Fastify's errors before routing: percent-encoding that is not UTF-8, or an over-long param. */
function badUrl(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode === 414 ? 414 : 400;
  // No onRequest hook has run for this request: the headers every other answer has are set here.
  setSecurityHeaders(reply);
  return reply.code(status).send({
    statusCode: status,
    error: STATUS_CODES[status],
    message: `params: ${error.message}`,
  });
}
