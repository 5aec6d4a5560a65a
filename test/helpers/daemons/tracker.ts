/**
 * opentracker on loopback for tests. Debian's build is whitelist-only: every info-hash a test
 * announces must be `allow()`ed first (written to the whitelist, then SIGHUP: real-peers.md §2).
 * It chroots into its working folder when run as root, so the whitelist is named relative to it
 * (an absolute path is read at start but not found again on the reload).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../process.js';
import { sleep, waitUntil } from '../wait.js';

export interface Tracker {
  /** `http://127.0.0.1:<port>/announce`. */
  announce: string;
  pid: number;
  allow(infoHash: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTracker(dir: string): Promise<Tracker> {
  const port = await freePort();
  const whitelist = path.join(dir, 'whitelist.txt');
  await writeFile(whitelist, '');
  const child: ChildProcess = spawn(
    'opentracker',
    ['-i', '127.0.0.1', '-p', String(port), '-P', String(port), '-w', 'whitelist.txt', '-d', '.'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('opentracker did not start');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const announce = `http://127.0.0.1:${port}/announce`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`opentracker exited (${child.exitCode})`);
      const r = await fetch(announce);
      await r.body?.cancel();
      return true;
    },
    { what: 'opentracker to listen', timeoutMs: 15_000, intervalMs: 100 },
  );
  return {
    announce,
    pid,
    async allow(infoHash) {
      await appendFile(whitelist, `${infoHash}\n`);
      child.kill('SIGHUP');
      await sleep(100); // it rereads the list on the signal
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
