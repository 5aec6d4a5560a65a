import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { API_KEY, fastEnv } from './stack.js';
import { waitUntil } from './wait.js';

const repo = path.resolve(import.meta.dirname, '..', '..');

/** A free TCP port on loopback (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** SoulSpot as a real separate process (`src/server.ts`), so a test can kill -9 it. */
export function spawnSoulSpot(
  env: Record<string, string>,
  logFile?: { write(chunk: string): void },
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repo, 'src', 'server.ts')], {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (b: Buffer) => {
    const text = b.toString();
    logFile?.write(text);
    tail = (tail + text).slice(-OUTPUT_KEPT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  outputs.set(child, () => tail);
  return child;
}

/** The end of a child's output kept for an error message: why a start failed. */
const OUTPUT_KEPT = 4000;
const outputs = new WeakMap<ChildProcess, () => string>();

/**
 * Waits until SoulSpot answers /api/health. A child started with tsx on a loaded machine can take
 * many seconds, so the deadline is generous; when `child` is given, its exit fails the wait at once
 * instead (a start refused by the configuration, a crash), with its exit code.
 */
export async function waitForHealth(
  url: string,
  timeoutMs = 90_000,
  child?: ChildProcess,
): Promise<void> {
  await waitUntil(
    async () => {
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        const output = outputs.get(child)?.() ?? '';
        throw new ExitedError(
          `SoulSpot exited (code ${child.exitCode}, signal ${child.signalCode}) before it answered at ${url}` +
            (output ? `; its last output:\n${output}` : ''),
        );
      }
      try {
        return (await fetch(`${url}/api/health`)).ok;
      } catch {
        return false; // not listening yet
      }
    },
    { what: `SoulSpot at ${url} to answer /api/health`, timeoutMs, stopOn: ExitedError },
  );
}

class ExitedError extends Error {}

export function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Settings and client for a SoulSpot child process against an emulator (kill -9 / SIGTERM tests). */
export async function childSetup(
  root: string,
  emulatorUrl: string,
  extra: Record<string, string> = {},
): Promise<{
  url: string;
  env: Record<string, string>;
  api<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }>;
}> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...fastEnv(root),
    SOULSPOT_PORT: String(port),
    SOULSPOT_SLSKD_URL: emulatorUrl,
    SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
    ...extra,
  };
  const api = async <T>(method: string, p: string, body?: unknown) => {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: { 'x-api-key': API_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  return { url, env, api };
}
