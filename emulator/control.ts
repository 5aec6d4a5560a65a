// The control endpoint, outside /api/v0 and without auth: lets a test, the demo or a person steer a
// running emulator from another process (peer behaviour, login state, restart) and read what happened.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Context } from './context.js';
import { ApiError } from './format.js';
import { sendEmpty, sendJson } from './respond.js';
import { isCompleted } from './state.js';
import type { Emulator, PeerBehaviour, SimUser } from './types.js';

/** The lifecycle operations the routes may trigger; implemented by createEmulator(). */
export interface Controls {
  setLoggedIn(value: boolean): void;
  setBehaviour(username: string, patch: Partial<PeerBehaviour>): void;
  addUser(user: SimUser): void;
  setLanding: Emulator['setLanding'];
  restart(): Promise<void>;
}

/** The control API reads any body as JSON, whatever its content type: it is for scripts and curl. */
function anyJson(req: FastifyRequest): Record<string, unknown> {
  const raw = typeof req.body === 'string' ? req.body : '';
  try {
    const value: unknown = raw.trim() === '' ? {} : JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // fall through to the 400 below
  }
  throw new ApiError(400, 'Body must be a JSON object');
}

export function stateSnapshot(ctx: Context): Record<string, unknown> {
  const transfers = [...ctx.store.transfers.values()];
  const byState: Record<string, number> = {};
  for (const t of transfers) byState[t.state] = (byState[t.state] ?? 0) + 1;
  return {
    version: ctx.options.version,
    loggedIn: ctx.loggedIn,
    landing: ctx.landing,
    users: ctx.peers.all().map((p) => ({
      username: p.username,
      files: p.files.size,
      behaviour: ctx.peers.behaviour(p.username),
    })),
    transfers: {
      total: transfers.length,
      active: transfers.filter((t) => !isCompleted(t)).length,
      byState,
    },
    searches: ctx.store.searches.size,
    unfinishedSearches: ctx.searches.unfinished,
    events: ctx.store.events.length,
    enqueues: ctx.enqueues,
    cancels: ctx.cancels,
    peaks: ctx.peaks,
    requestCounts: ctx.requestCounts,
  };
}

export function controlRoutes(app: FastifyInstance, ctx: Context, controls: Controls): void {
  app.get('/emulator/state', (_req, reply) => sendJson(reply, 200, stateSnapshot(ctx)));

  app.post('/emulator/users', (req, reply) => {
    const user = anyJson(req) as unknown as SimUser;
    if (typeof user.username !== 'string' || !Array.isArray(user.files)) {
      throw new ApiError(
        400,
        'Expected { username, files: [{ remotePath, localPath }], behaviour? }',
      );
    }
    try {
      controls.addUser(user);
    } catch (error) {
      throw new ApiError(400, (error as Error).message);
    }
    return sendEmpty(reply, 201);
  });

  app.post('/emulator/users/:username/behaviour', (req, reply) => {
    const { username } = req.params as { username: string };
    if (!ctx.peers.get(username)) throw new ApiError(404, `Unknown simulated user: ${username}`);
    controls.setBehaviour(username, anyJson(req) as Partial<PeerBehaviour>);
    return sendJson(reply, 200, ctx.peers.behaviour(username));
  });

  app.post('/emulator/landing', (req, reply) => {
    const body = anyJson(req);
    const known = ['moveDelayMs', 'crossDeviceMove', 'extraEvents'];
    const unknown = Object.keys(body).filter((k) => !known.includes(k));
    if (unknown.length > 0)
      throw new ApiError(400, `Unknown landing fields: ${unknown.join(', ')}`);
    controls.setLanding(body as Parameters<Emulator['setLanding']>[0]);
    return sendJson(reply, 200, ctx.landing);
  });

  app.post('/emulator/login', (req, reply) => {
    const loggedIn = anyJson(req).loggedIn;
    if (typeof loggedIn !== 'boolean') throw new ApiError(400, 'Expected { "loggedIn": boolean }');
    controls.setLoggedIn(loggedIn);
    return sendJson(reply, 200, { loggedIn });
  });

  app.post('/emulator/restart', (_req, reply) => {
    // Answer first: the restart closes this very server.
    reply.raw.once('finish', () => {
      controls.restart().catch((error: unknown) => console.error('emulator restart failed', error));
    });
    return sendEmpty(reply, 202);
  });
}
