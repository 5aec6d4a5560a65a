import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Run before `npm start` and `npm run demo`: builds the web UI (`web/dist`) when it is missing or
 * older than its sources, so a fresh clone's two README commands show the UI. It never stops the
 * start: without `web/` or without Vite (a production install without dev dependencies), or when
 * the build fails, it says so in one line and the API starts anyway (`/` then answers 503).
 *
 * Usage: tsx scripts/ensure-web.ts [repository root]
 */

export type WebState =
  { state: 'no-web' } | { state: 'current' } | { state: 'stale'; reason: string };

/** Whether `<root>/web/dist` must be built; reads file times only. */
export function webState(root: string): WebState {
  const web = path.join(root, 'web');
  if (!existsSync(path.join(web, 'index.html')) || !existsSync(path.join(web, 'vite.config.ts')))
    return { state: 'no-web' };
  const built = path.join(web, 'dist', 'index.html');
  if (!existsSync(built)) return { state: 'stale', reason: 'web/dist is missing' };
  const builtAt = statSync(built).mtimeMs;
  const sources = [
    path.join(web, 'index.html'),
    path.join(web, 'vite.config.ts'),
    ...filesUnder(path.join(web, 'src')),
    ...filesUnder(path.join(web, 'public')),
  ];
  const newer = sources.find((f) => statSync(f).mtimeMs > builtAt);
  return newer
    ? { state: 'stale', reason: `${path.relative(root, newer)} is newer than web/dist` }
    : { state: 'current' };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

export type EnsureOutcome = 'no-web' | 'current' | 'built' | 'no-vite' | 'failed';

/** Builds when needed, saying so in one line (or a warning); quiet when the build is current. */
export function ensureWeb(
  root: string,
  print: (line: string) => void = console.log,
): EnsureOutcome {
  const found = webState(root);
  if (found.state === 'no-web') {
    print('warning: no web UI sources in web/: starting without the UI (/ answers 503)');
    return 'no-web';
  }
  if (found.state === 'current') return 'current';
  let vite: string;
  try {
    // Vite's package exports do not list its bin; its package.json is listed and sits beside it.
    const manifest = createRequire(import.meta.url).resolve('vite/package.json');
    vite = path.join(path.dirname(manifest), 'bin', 'vite.js');
  } catch {
    print(`warning: ${found.reason} and Vite is not installed: starting without the UI`);
    return 'no-vite';
  }
  print(`web UI: ${found.reason}; building it (npm run build:web)`);
  const result = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status === 0) return 'built';
  print('warning: the web UI build failed (see above): starting without the UI');
  return 'failed';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureWeb(path.resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url))));
}
