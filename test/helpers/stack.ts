import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type SimUser,
} from '../../emulator/emulator.js';

export const API_KEY = 'test-api-key-0123456789';
export const SLSKD_KEY = 'slskd-api-key-0123456789';

export interface Stack {
  root: string;
  emulator: Emulator;
  soulspot: SoulSpot;
  config: Config;
  api<T = unknown>(
    method: string,
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  waitFor(predicate: (items: DownloadDto[]) => boolean, timeoutMs?: number): Promise<DownloadDto[]>;
  close(): Promise<void>;
}

export interface StackOptions {
  users: SimUser[];
  env?: Record<string, string>;
  /** PostgreSQL URL; SQLite in the temp dir when absent. */
  databaseUrl?: string;
  emulatorVersion?: string;
  /** Extra emulator options (e.g. slskd's own retry behaviour). */
  emulator?: Partial<Omit<EmulatorOptions, 'users' | 'downloadsDir' | 'incompleteDir'>>;
}

/** Settings that make the whole pipeline run in well under a second per track. */
export function fastEnv(root: string): Record<string, string> {
  return {
    SOULSPOT_HOST: '127.0.0.1',
    SOULSPOT_PORT: '0',
    SOULSPOT_DATA_DIR: path.join(root, 'data'),
    SOULSPOT_LIBRARY_DIR: path.join(root, 'library'),
    SOULSPOT_API_KEY: API_KEY,
    SOULSPOT_SLSKD_API_KEY: SLSKD_KEY,
    SOULSPOT_SEARCH_TIMEOUT_SECONDS: '1',
    SOULSPOT_POLL_INTERVAL_MS: '100',
    SOULSPOT_RETRY_BACKOFF_SECONDS: '1,1,1',
    SOULSPOT_MAX_CONCURRENT: '5',
    SOULSPOT_LEASE_SECONDS: '3',
    SOULSPOT_LOG_LEVEL: 'silent',
    // Most tests compare a filed file with the peer's bytes: post-processing (which rewrites them)
    // is switched on by the tests about it.
    SOULSPOT_TAG_FILES: 'false',
    SOULSPOT_EMBED_COVER: 'false',
    SOULSPOT_WRITE_FOLDER_COVER: 'false',
  };
}

export async function startEmulatorIn(
  root: string,
  users: SimUser[],
  version?: string,
  extra: StackOptions['emulator'] = {},
): Promise<Emulator> {
  const downloadsDir = path.join(root, 'slskd', 'downloads');
  const incompleteDir = path.join(root, 'slskd', 'incomplete');
  mkdirSync(downloadsDir, { recursive: true });
  mkdirSync(incompleteDir, { recursive: true });
  return createEmulator({
    apiKey: SLSKD_KEY,
    downloadsDir,
    incompleteDir,
    users,
    tickMs: 25,
    searchTimeoutCapMs: 150,
    // slskd retries failed transfers itself (3 attempts, 5 s apart, by default); most tests are about
    // SoulSpot's own handling of a failure, so here a failure is final unless a test asks otherwise.
    retry: { attempts: 1 },
    ...(version ? { version } : {}),
    ...extra,
  });
}

/** The slskd emulator plus a SoulSpot started in this process, talking real HTTP to each other. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-e2e-'));
  const emulator = await startEmulatorIn(
    root,
    options.users,
    options.emulatorVersion,
    options.emulator,
  );
  const config = loadConfig({
    ...fastEnv(root),
    SOULSPOT_SLSKD_URL: emulator.url,
    SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
    ...(options.databaseUrl ? { SOULSPOT_DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  });
  const soulspot = await startSoulSpot(config);
  const api = async <T>(method: string, url: string, body?: unknown) => {
    const res = await fetch(`${soulspot.url}${url}`, {
      method,
      headers: {
        'x-api-key': API_KEY,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };
  return {
    root,
    emulator,
    soulspot,
    config,
    api,
    waitFor: (predicate, timeoutMs = 30_000) => waitForDownloads(api, predicate, timeoutMs),
    close: async () => {
      await soulspot.stop();
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function waitForDownloads(
  api: Stack['api'],
  predicate: (items: DownloadDto[]) => boolean,
  timeoutMs: number,
): Promise<DownloadDto[]> {
  const deadline = Date.now() + timeoutMs;
  let items: DownloadDto[] = [];
  while (Date.now() < deadline) {
    items = await listAll(api);
    if (predicate(items)) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
  const summary = items.map(
    (d) => `${d.artist} - ${d.title}: ${d.status} ${d.errorCode ?? ''} ${d.errorMessage ?? ''}`,
  );
  throw new Error(`timed out waiting for downloads:\n${summary.join('\n')}`);
}

export async function listAll(api: Stack['api']): Promise<DownloadDto[]> {
  const out: DownloadDto[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { items: DownloadDto[]; nextCursor: string | null } } = await api(
      'GET',
      `/api/downloads?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
    );
    out.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return out;
}
