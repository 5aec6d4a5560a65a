import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { waitUntil } from '../helpers/wait.js';

/** The real server (`src/server.ts`) started twice on one data dir, reading what it prints. */
describe('the API key of a real SoulSpot process', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-key-'));
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) await killHard(c);
    rmSync(root, { recursive: true, force: true });
  });

  const run = async (env: Record<string, string>) => {
    let out = '';
    const child = spawnSoulSpot(env, { write: (chunk) => (out += chunk) });
    children.push(child);
    return { child, output: () => out };
  };
  const stop = (child: ChildProcess): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });

  // Two starts of a real process: generous for a loaded machine (the waits inside poll).
  it(
    'is printed on the start that generated it only; later starts say where it is',
    { timeout: 5 * 60_000 },
    async () => {
      // No SOULSPOT_API_KEY (empty means unset), so the key is generated into the data dir.
      const { url, env } = await childSetup(root, 'http://127.0.0.1:9', {
        SOULSPOT_API_KEY: '',
        SOULSPOT_LOG_LEVEL: 'info',
      });
      const keyFile = path.join(env.SOULSPOT_DATA_DIR as string, 'api-key');
      const downloads = (key: string) =>
        fetch(`${url}/api/downloads`, { headers: { 'x-api-key': key } }).then((r) => r.status);

      const first = await run(env);
      await waitForHealth(url, undefined, first.child);
      const printed = await waitUntil(
        () => /shown only this once\): (\S+)/.exec(first.output())?.[1],
        { what: 'the generated key on stdout' },
      );
      expect(first.output()).toContain(`stored in ${keyFile}`);
      expect(readFileSync(keyFile, 'utf8').trim()).toBe(printed);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(await downloads(printed)).toBe(200);
      await stop(first.child);

      const second = await run(env);
      await waitForHealth(url, undefined, second.child);
      await waitUntil(() => second.output().includes(`API key: stored in ${keyFile}`), {
        what: 'where the key is stored, on stdout',
      });
      expect(await downloads(printed)).toBe(200);
      await stop(second.child);
      // Nothing the second process wrote (stdout, stderr, log lines) holds the key.
      expect(second.output()).not.toContain(printed);
    },
  );

  it.each([
    ['an empty', ''],
    ['a too short', 'short-key\n'],
  ])(
    'refuses to start with %s key file, and never listens',
    { timeout: 5 * 60_000 },
    async (_name, content) => {
      const dir = mkdtempSync(path.join(root, 'bad-'));
      const { url, env } = await childSetup(dir, 'http://127.0.0.1:9', { SOULSPOT_API_KEY: '' });
      mkdirSync(env.SOULSPOT_DATA_DIR as string, { recursive: true });
      const keyFile = path.join(env.SOULSPOT_DATA_DIR as string, 'api-key');
      writeFileSync(keyFile, content);
      const { child, output } = await run(env);
      const exited = new Promise<number | null>((r) =>
        child.exitCode !== null ? r(child.exitCode) : child.once('exit', r),
      );
      // Before the fix it started and served the API with no key check: that fails at once.
      const outcome = await Promise.race([
        exited,
        waitForHealth(url, undefined, child).then(() => 'listening' as const),
      ]);
      expect(outcome).toBe(2);
      expect(output()).toContain(keyFile);
      expect(output()).toMatch(/delete it to have a new key generated, or set SOULSPOT_API_KEY/);
      await expect(fetch(`${url}/api/downloads`)).rejects.toThrow();
    },
  );
});
