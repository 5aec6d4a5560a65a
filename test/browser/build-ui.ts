import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const webDir = path.join(repo, 'web');
/** The browser tests' own build: `web/dist` belongs to the user (npm start serves it). */
export const TEST_WEB_DIST = path.join(repo, 'test-results', 'web-dist');

/** The newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(full));
    else latest = Math.max(latest, statSync(full).mtimeMs);
  }
  return latest;
}

/** Whether the build in `outDir` is older than anything it is built from. */
export function isStale(outDir: string): boolean {
  const index = path.join(outDir, 'index.html');
  if (!existsSync(index)) return true;
  const sources = Math.max(
    newest(path.join(webDir, 'src')),
    statSync(path.join(webDir, 'index.html')).mtimeMs,
    statSync(path.join(webDir, 'vite.config.ts')).mtimeMs,
  );
  return statSync(index).mtimeMs < sources;
}

/**
 * Builds the web UI once per test run (when its sources changed since the last build), with the
 * project's own Vite config, into a folder of the tests' own. The browser tests serve it.
 */
export async function buildUi(outDir = TEST_WEB_DIST): Promise<string> {
  if (!existsSync(webDir) || !isStale(outDir)) return outDir;
  const { build } = await import('vite');
  await build({
    configFile: path.join(webDir, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

export default async function globalSetup(): Promise<void> {
  await buildUi();
}
