// Entry point: createEmulator() builds the in-memory slskd, starts listening, and exposes the lifecycle
// (stop/start = API unreachable, restart = slskd process restart, close = gone for good).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { Context } from './context.js';
import type { Controls } from './control.js';
import { versionFeatures } from './format.js';
import { buildApp } from './http.js';
import { createPeaks } from './peaks.js';
import { Peers } from './peers.js';
import { SearchEngine } from './searches.js';
import { addEvent, createStore } from './state.js';
import { TransferEngine } from './transfers.js';
import type { Emulator, EmulatorOptions, PeerBehaviour, SimUser } from './types.js';

export type {
  Emulator,
  EmulatorOptions,
  CancelRecord,
  EnqueueRecord,
  FileLanding,
  PeerBehaviour,
  SimFile,
  SimUser,
  TransferPeaks,
} from './types.js';
export { loadScenario, type Scenario } from './scenario.js';

/** How long the API is unreachable during restart(), like a process coming back up. */
const RESTART_GAP_MS = 50;

function createContext(options: EmulatorOptions): Context {
  const version = options.version ?? '0.26.0';
  const ctx = {
    options: {
      host: options.host ?? '127.0.0.1',
      version,
      apiKey: options.apiKey,
      downloadsDir: path.resolve(options.downloadsDir),
      incompleteDir: path.resolve(options.incompleteDir),
      tickMs: options.tickMs ?? 250,
      searchTimeoutCapMs: options.searchTimeoutCapMs,
      searchPostMs: options.searchPostMs ?? 5,
      maxConcurrentSearches: options.maxConcurrentSearches ?? 2,
      username: options.username ?? 'slskd',
      password: options.password ?? 'slskd',
      // slskd 0.26's own defaults (transfers.download.retry).
      retry: {
        attempts: options.retry?.attempts ?? 3,
        delayMs: options.retry?.delayMs ?? 5000,
        maxDelayMs: options.retry?.maxDelayMs ?? 60_000,
      },
      enqueueHardLimitMs: options.enqueueHardLimitMs ?? 180_000,
      inactivityTimeoutMs: options.inactivityTimeoutMs ?? 15_000,
    },
    features: versionFeatures(version),
    peers: new Peers(),
    store: createStore(),
    loggedIn: options.loggedIn ?? true,
    landing: { ...options.landing },
    jwtKey: randomBytes(32),
    enqueues: [],
    cancels: [],
    searchLog: [],
    peaks: createPeaks(),
    requestCounts: {},
    gates: { search: 0, enqueue: 0 },
  } as Omit<Context, 'searches' | 'transfers'> as Context;
  ctx.searches = new SearchEngine(ctx);
  ctx.transfers = new TransferEngine(ctx);
  return ctx;
}

export async function createEmulator(options: EmulatorOptions): Promise<Emulator> {
  const ctx = createContext(options);
  mkdirSync(ctx.options.downloadsDir, { recursive: true });
  mkdirSync(ctx.options.incompleteDir, { recursive: true });
  for (const user of options.users) ctx.peers.add(user);
  await ctx.peers.ready(); // audio attributes read up front, so search answers keep their latency

  let app: FastifyInstance | undefined;
  let port = options.port ?? 0;
  let closed = false;

  const controls: Controls = {
    setLoggedIn(value: boolean): void {
      if (value === ctx.loggedIn) return;
      ctx.loggedIn = value;
      if (value) addEvent(ctx.store, 'SoulseekClientConnected', {});
      else {
        addEvent(ctx.store, 'SoulseekClientDisconnected', {
          message: 'Disconnected by the emulator',
          exception: null,
        });
      }
    },
    setBehaviour: (username: string, patch: Partial<PeerBehaviour>) =>
      ctx.peers.setBehaviour(username, patch),
    addUser: (user: SimUser) => ctx.peers.add(user),
    setLanding(patch) {
      const landing = ctx.landing as Record<string, unknown>;
      for (const [key, value] of Object.entries(patch)) {
        if (value === null || value === undefined) delete landing[key];
        else landing[key] = value;
      }
    },
    restart: () => emulator.restart(),
  };

  async function listen(): Promise<void> {
    if (closed) throw new Error('The emulator was closed');
    if (app) return;
    const next = buildApp(ctx, controls);
    await next.listen({ host: ctx.options.host, port });
    port = (next.server.address() as AddressInfo).port; // keep the port for stop/start/restart
    app = next;
  }

  async function unlisten(): Promise<void> {
    const current = app;
    app = undefined;
    await current?.close();
  }

  await listen();
  const host = ctx.options.host.includes(':') ? `[${ctx.options.host}]` : ctx.options.host;

  const emulator: Emulator = {
    get url() {
      return `http://${host}:${port}`;
    },
    enqueues: ctx.enqueues,
    cancels: ctx.cancels,
    searchLog: ctx.searchLog,
    get unfinishedSearches() {
      return ctx.searches.unfinished;
    },
    requestCounts: ctx.requestCounts,
    peaks: ctx.peaks,
    setBehaviour: controls.setBehaviour,
    addUser: controls.addUser,
    setLoggedIn: controls.setLoggedIn,
    setLanding: controls.setLanding,
    async restart() {
      await unlisten();
      ctx.transfers.shutdown();
      ctx.searches.shutdown();
      ctx.jwtKey = randomBytes(32); // slskd's random signing key: old tokens stop working
      await sleep(RESTART_GAP_MS);
      await listen();
    },
    stop: unlisten,
    start: listen,
    async close() {
      closed = true;
      ctx.transfers.abortAll();
      ctx.searches.shutdown();
      await unlisten();
    },
  };
  return emulator;
}
