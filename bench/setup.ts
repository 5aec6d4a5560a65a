import { mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator, type Emulator, type SimUser } from '../emulator/emulator.js';
import { loadConfig, type Config } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot, type StartOptions } from '../src/main.js';

export const API_KEY = 'bench-api-key-0123456789';
export const SLSKD_KEY = 'bench-slskd-key-0123456789';
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Real audio shipped with the repo, so benchmarks need no ffmpeg. */
export const FIXTURES = ['tone-a.flac', 'tone-b.flac', 'tone-c.mp3', 'tone-d.mp3'].map((f) =>
  path.join(repo, 'fixtures', 'audio', f),
);
export const fixtureSize = (file: string): number => statSync(file).size;

export interface BenchStack {
  root: string;
  emulator: Emulator;
  soulspot: SoulSpot;
  config: Config;
  queries: { count: number };
  post(pathname: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function benchStack(
  users: SimUser[],
  env: Record<string, string>,
  options: Pick<StartOptions, 'runWorkers'> & {
    emulator?: { maxConcurrentSearches?: number; tickMs?: number; searchTimeoutCapMs?: number };
  } = {},
): Promise<BenchStack> {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-bench-'));
  const downloadsDir = path.join(root, 'slskd', 'downloads');
  const incompleteDir = path.join(root, 'slskd', 'incomplete');
  mkdirSync(downloadsDir, { recursive: true });
  mkdirSync(incompleteDir, { recursive: true });
  const emulator = await createEmulator({
    apiKey: SLSKD_KEY,
    downloadsDir,
    incompleteDir,
    users,
    tickMs: options.emulator?.tickMs ?? 100,
    searchTimeoutCapMs: options.emulator?.searchTimeoutCapMs ?? 200,
    // As before slskd's retry default came to the emulator: figures stay comparable.
    retry: { attempts: 1 },
    ...(options.emulator?.maxConcurrentSearches
      ? { maxConcurrentSearches: options.emulator.maxConcurrentSearches }
      : {}),
  });
  const config = loadConfig({
    SOULSPOT_PORT: '0',
    SOULSPOT_DATA_DIR: path.join(root, 'data'),
    SOULSPOT_LIBRARY_DIR: path.join(root, 'library'),
    SOULSPOT_API_KEY: API_KEY,
    SOULSPOT_SLSKD_URL: emulator.url,
    SOULSPOT_SLSKD_API_KEY: SLSKD_KEY,
    SOULSPOT_SLSKD_DOWNLOADS_DIR: downloadsDir,
    SOULSPOT_LOG_LEVEL: 'silent',
    ...env,
  });
  const queries = { count: 0 };
  const soulspot = await startSoulSpot(config, { ...options, onQuery: () => queries.count++ });
  return {
    root,
    emulator,
    soulspot,
    config,
    queries,
    post: (pathname, body) =>
      fetch(`${soulspot.url}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify(body),
      }),
    close: async () => {
      await soulspot.stop();
      await emulator.close();
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

export const pgUrl = (): string | undefined => process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL;
