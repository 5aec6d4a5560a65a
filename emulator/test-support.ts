// Helpers shared by the emulator's own tests: an emulator on temp dirs with the fixture tones, and a
// tiny slskd HTTP client. Not part of the emulator's runtime API.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator, type Emulator, type EmulatorOptions, type SimUser } from './emulator.js';

export const FIXTURES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/audio',
);
export const TONE_A = path.join(FIXTURES, 'tone-a.flac');
export const TONE_B = path.join(FIXTURES, 'tone-b.flac');
export const TONE_C = path.join(FIXTURES, 'tone-c.mp3');
export const API_KEY = 'test-api-key-0123456789';

export const ALBUM = '@@alice\\Music\\The Sine Project\\Sine Waves (2021)';
export const A1 = `${ALBUM}\\01 - Tone A.flac`;
export const A2 = `${ALBUM}\\02 - Tone B.flac`;

export interface Harness {
  emulator: Emulator;
  dir: string;
  downloadsDir: string;
  api(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  text: string;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  json: unknown;
}

export function alice(extra: Partial<SimUser> = {}): SimUser {
  return {
    username: 'alice',
    files: [
      { remotePath: A1, localPath: TONE_A },
      { remotePath: A2, localPath: TONE_B },
    ],
    ...extra,
  };
}

export async function startHarness(options: Partial<EmulatorOptions> = {}): Promise<Harness> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'emulator-test-'));
  const downloadsDir = path.join(dir, 'downloads');
  const emulator = await createEmulator({
    downloadsDir,
    incompleteDir: path.join(dir, 'incomplete'),
    users: [alice()],
    tickMs: 20,
    searchTimeoutCapMs: 150,
    apiKey: API_KEY,
    // Failures final at once unless a test turns slskd's retries (default 3 attempts) back on.
    retry: { attempts: 1 },
    ...options,
  });
  return {
    emulator,
    dir,
    downloadsDir,
    async api(method, route, body, headers = {}) {
      const res = await fetch(`${emulator.url}/api/v0${route}`, {
        method,
        headers: {
          'x-api-key': API_KEY,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body:
          body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return {
        status: res.status,
        text,
        headers: res.headers,
        json: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
    },
    async close() {
      await emulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 5000,
  everyMs = 5,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface TransferJson {
  id: string;
  state: string;
  exception?: string;
  bytesTransferred: number;
  size: number;
  removed?: boolean;
  batchId?: string;
  [key: string]: unknown;
}
