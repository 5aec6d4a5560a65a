// /api/v0 routes other than transfers: application/server state, session, options, searches, users and
// the event log. Shapes follow slskd-api.md; routes only parse, call the engine, and serialize.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { signJwt } from './auth.js';
import type { Context } from './context.js';
import type { Controls } from './control.js';
import { ApiError, field, isGuid, isoDate } from './format.js';
import { API, jsonBody, queryFlag, sendEmpty, sendJson, TOO_MANY } from './respond.js';
import { SEARCH_DEFAULTS, type SearchOptions } from './searches.js';
import { searchJson } from './state.js';

type Params = Record<string, string>;
type Query = Record<string, string | undefined>;
const params = (req: FastifyRequest): Params => req.params as Params;
const query = (req: FastifyRequest): Query => req.query as Query;

export function serverJson(ctx: Context): Record<string, unknown> {
  const on = ctx.loggedIn;
  return {
    address: on ? 'vps.slsknet.org' : undefined,
    ipEndPoint: on ? '208.76.170.59:2271' : undefined,
    state: on ? 'Connected, LoggedIn' : 'Disconnected',
    isConnected: on,
    isConnecting: false,
    isLoggedIn: on,
    isLoggingIn: false,
    isTransitioning: false,
  };
}

function applicationJson(ctx: Context): Record<string, unknown> {
  const v = ctx.options.version;
  return {
    version: { full: `${v} (${v})`, current: v, isCanary: false, isDevelopment: false },
    pendingReconnect: false,
    pendingRestart: false,
    server: serverJson(ctx),
    connectionWatchdog: { isEnabled: false, isAttemptingConnection: false, isAwaitingVpn: false },
    vpn: { isReady: false, isConnected: false },
    relay: { mode: 'None' },
    health: { search: { incoming: { latency: 0.0, queueDepth: 0, dropRate: 0.0 } } },
    user: {
      username: ctx.options.username,
      privileges: { isPrivileged: false, privilegesRemaining: 0 },
      statistics: { averageSpeed: 0, directoryCount: 0, fileCount: 0, uploadCount: 0 },
    },
    distributedNetwork: { canAcceptChildren: false, childLimit: 0, children: [], hasParent: false },
    shares: { scanPending: false, scanning: false, ready: true, directories: 0, files: 0 },
    rooms: [],
    users: [],
  };
}

/** An optional non-negative integer field of a request body (case-insensitive name). */
function intField(body: unknown, name: string, fallback: number, min = 0): number {
  const value = field(body, name);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ApiError(
      400,
      `${name[0]?.toUpperCase()}${name.slice(1)} must be an integer >= ${min}`,
    );
  }
  return value;
}

function searchRequest(body: unknown): { id?: string; searchText: string; options: SearchOptions } {
  const searchText = field(body, 'searchText');
  if (typeof searchText !== 'string' || searchText.trim() === '') {
    throw new ApiError(400, 'SearchText must not be null or whitespace');
  }
  const id = field(body, 'id');
  if (id !== undefined && id !== null && !isGuid(id)) throw new ApiError(400, 'Id must be a GUID');
  const filter = field(body, 'filterResponses');
  const d = SEARCH_DEFAULTS;
  return {
    id: typeof id === 'string' ? id.toLowerCase() : undefined, // .NET writes GUIDs in lowercase
    searchText,
    options: {
      searchTimeout: intField(body, 'searchTimeout', d.searchTimeout, 5),
      responseLimit: intField(body, 'responseLimit', d.responseLimit),
      fileLimit: intField(body, 'fileLimit', d.fileLimit),
      filterResponses: typeof filter === 'boolean' ? filter : d.filterResponses,
      minimumResponseFileCount: intField(
        body,
        'minimumResponseFileCount',
        d.minimumResponseFileCount,
      ),
      maximumPeerQueueLength: intField(body, 'maximumPeerQueueLength', d.maximumPeerQueueLength),
      minimumPeerUploadSpeed: intField(body, 'minimumPeerUploadSpeed', d.minimumPeerUploadSpeed),
    },
  };
}

export function apiRoutes(app: FastifyInstance, ctx: Context, controls: Controls): void {
  const { store } = ctx;

  app.get(`${API}/application`, (_req, reply) => sendJson(reply, 200, applicationJson(ctx)));
  app.get(`${API}/application/version`, (_req, reply) => sendJson(reply, 200, ctx.options.version));
  app.get(`${API}/server`, (_req, reply) => sendJson(reply, 200, serverJson(ctx)));
  app.put(`${API}/server`, (_req, reply) => {
    controls.setLoggedIn(true);
    return sendEmpty(reply, 200);
  });
  app.delete(`${API}/server`, (_req, reply) => {
    controls.setLoggedIn(false);
    return sendEmpty(reply, 204);
  });

  app.get(`${API}/session`, (_req, reply) => sendEmpty(reply, 200));
  app.get(`${API}/session/enabled`, { config: { anonymous: true } }, (_req, reply) =>
    sendJson(reply, 200, ctx.options.apiKey !== undefined),
  );
  app.post(`${API}/session`, { config: { anonymous: true } }, (req, reply) => {
    const body = jsonBody(req);
    const username = field(body, 'username');
    const password = field(body, 'password');
    if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
      throw new ApiError(400, 'Username and/or Password missing or invalid');
    }
    if (username !== ctx.options.username || password !== ctx.options.password) {
      return sendEmpty(reply, 401);
    }
    return sendJson(reply, 200, signJwt(ctx.jwtKey, username, Date.now()));
  });

  app.get(`${API}/options`, (_req, reply) =>
    sendJson(reply, 200, {
      directories: {
        downloads: ctx.options.downloadsDir,
        incomplete: ctx.options.incompleteDir,
      },
      transfers: {
        download: {
          retry: ctx.features.retries
            ? {
                attempts: ctx.options.retry.attempts,
                delay: ctx.options.retry.delayMs,
                maxDelay: ctx.options.retry.maxDelayMs,
                partial: 'resume',
              }
            : undefined,
          destination: ctx.features.batches
            ? { subdirectory: '${SOURCE_DIRECTORY}', exists: 'rename' }
            : undefined,
        },
      },
      web: { authentication: { disabled: ctx.options.apiKey === undefined, password: '*****' } },
    }),
  );

  // --- searches ---------------------------------------------------------------------------------
  app.post(`${API}/searches`, async (req, reply) => {
    // slskd's per-endpoint gate: a second POST while one is in flight gets 429, not a wait.
    if (ctx.gates.search > 0) return sendJson(reply, 429, TOO_MANY);
    ctx.gates.search++;
    try {
      // The real POST round-trips the database; keeps the gate observable.
      await sleep(ctx.options.searchPostMs);
      const request = searchRequest(jsonBody(req));
      const record = ctx.searches.start(request.id, request.searchText, request.options);
      return sendJson(reply, 200, searchJson(record, false));
    } finally {
      ctx.gates.search--;
    }
  });
  app.get(`${API}/searches`, (_req, reply) =>
    sendJson(
      reply,
      200,
      [...store.searches.values()].map((s) => searchJson(s, false)),
    ),
  );
  const findSearch = (req: FastifyRequest) => {
    const search = store.searches.get(params(req).id?.toLowerCase() ?? '');
    if (!search) throw new ApiError(404);
    return search;
  };
  app.get(`${API}/searches/:id`, (req, reply) =>
    sendJson(reply, 200, searchJson(findSearch(req), queryFlag(query(req).includeResponses))),
  );
  app.get(`${API}/searches/:id/responses`, (req, reply) =>
    sendJson(reply, 200, findSearch(req).responses),
  );
  app.put(`${API}/searches/:id`, (req, reply) => {
    ctx.searches.cancel(findSearch(req).id);
    return sendEmpty(reply, 200);
  });
  app.delete(`${API}/searches/:id`, (req, reply) => {
    // Only the row goes; a running search carries on in the background, as in slskd.
    store.searches.delete(findSearch(req).id);
    return sendEmpty(reply, 204);
  });

  // --- users --------------------------------------------------------------------------------------
  const onlinePeer = (req: FastifyRequest) => {
    const username = params(req).username ?? '';
    const peer = ctx.peers.get(username);
    if (!peer || peer.behaviour.offline) {
      throw new ApiError(404, `User ${username} appears to be offline`);
    }
    return peer;
  };
  app.get(`${API}/users/:username/status`, (req, reply) =>
    sendJson(reply, 200, {
      isPrivileged: false,
      presence: ctx.peers.isOnline(params(req).username ?? '') ? 'Online' : 'Offline',
    }),
  );
  app.get(`${API}/users/:username/endpoint`, (req, reply) =>
    sendJson(reply, 200, {
      addressFamily: 'InterNetwork',
      ...ctx.peers.endpoint(onlinePeer(req).username),
    }),
  );
  app.get(`${API}/users/:username/info`, (req, reply) => {
    const b = ctx.peers.behaviour(onlinePeer(req).username);
    return sendJson(reply, 200, {
      description: 'Simulated peer (SoulSpot slskd emulator)',
      hasFreeUploadSlot: b.hasFreeUploadSlot,
      hasPicture: false,
      queueLength: b.queueLength,
      uploadSlots: 1,
    });
  });
  app.get(`${API}/users/:username/browse`, async (req, reply) => {
    const directories = await ctx.peers.browse(onlinePeer(req));
    return sendJson(reply, 200, {
      directories,
      directoryCount: directories.length,
      lockedDirectories: [],
      lockedDirectoryCount: 0,
    });
  });
  app.post(`${API}/users/:username/directory`, async (req, reply) => {
    const directory = field(jsonBody(req), 'directory');
    if (typeof directory !== 'string' || directory.trim() === '') throw new ApiError(400);
    return sendJson(reply, 200, await ctx.peers.browse(onlinePeer(req), directory));
  });

  // --- events ---------------------------------------------------------------------------------------
  app.get(`${API}/events`, (req, reply) => {
    const q = query(req);
    const offset = Number(q.offset ?? 0);
    const limit = Number(q.limit ?? 100);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ApiError(400, 'Offset must be greater than or equal to zero');
    if (!Number.isInteger(limit) || limit <= 0)
      throw new ApiError(400, 'Limit must be greater than zero');
    const page = store.events
      .slice()
      .reverse()
      .slice(offset, offset + limit)
      .map((e) => ({
        timestamp: isoDate(e.timestamp),
        type: e.type,
        data: JSON.stringify(e.data), // a JSON string inside JSON, nulls kept, as slskd stores it
        id: e.id,
      }));
    reply.header('x-total-count', String(store.events.length));
    return sendJson(reply, 200, page);
  });
}
