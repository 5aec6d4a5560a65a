import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import type { Dialect } from '../../src/db/database.js';
import type { App } from '../../src/http/app.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { freshPgDatabase } from './db.js';
import { API_KEY, fastEnv, startEmulatorIn } from './stack.js';

export interface ApiServer {
  soulspot: SoulSpot;
  /** Drive it with app.inject(): no port, and raw Buffer payloads reach the parser byte for byte. */
  app: App;
  close(): Promise<void>;
}

/**
 * A real SoulSpot (startSoulSpot: migrations, services, the app) on a fresh SQLite file or a fresh
 * PostgreSQL database, with an emulator as its slskd, but with the queue runner off: these tests are
 * about what the API lets into storage, and a runner would race them with searches, changing statuses
 * under the requests and loading a shared 2-core machine for nothing.
 */
export async function startApiServer(dialect: Dialect): Promise<ApiServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-api-input-'));
  const emulator = await startEmulatorIn(root, []);
  const pg =
    dialect === 'postgres'
      ? await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string)
      : undefined;
  const config = loadConfig({
    ...fastEnv(root),
    SOULSPOT_SLSKD_URL: emulator.url,
    ...(pg ? { SOULSPOT_DATABASE_URL: pg.url } : {}),
  });
  const soulspot = await startSoulSpot(config, { listen: false, runWorkers: false });
  await soulspot.app.ready();
  return {
    soulspot,
    app: soulspot.app,
    close: async () => {
      await soulspot.stop();
      await emulator.close();
      await pg?.drop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export { API_KEY };

/** An answer of `send`: the status and the JSON body (`{}` when empty). */
export interface JsonReply {
  status: number;
  json: { message?: string } & Record<string, unknown>;
}

/**
 * An API server for the test file's `describe` (started before its tests, closed after), with
 * `send(method, url, body?)`: a JSON request with the API key through app.inject().
 */
export function useApiServer(dialect: Dialect) {
  let server: ApiServer | undefined;
  beforeAll(async () => {
    server = await startApiServer(dialect);
  });
  afterAll(async () => {
    await server?.close();
  });
  const send = async (method: string, url: string, body?: unknown): Promise<JsonReply> => {
    if (!server) throw new Error('the API server is not started');
    const res = await server.app.inject({
      method: method as 'GET',
      url,
      headers: {
        'x-api-key': API_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, json: res.body ? (res.json() as JsonReply['json']) : {} };
  };
  return {
    send,
    /** The running server (inside a test). */
    get server(): ApiServer {
      if (!server) throw new Error('the API server is not started');
      return server;
    },
  };
}
