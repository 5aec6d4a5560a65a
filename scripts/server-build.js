// @ts-check
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Whether `npm start` must compile the server first (`dist/src/server.js`, from
 * `npm run build:server`). Plain JavaScript on purpose: it runs before there is a build, and
 * without tsx's loader, whose thread and source maps would stay resident in the server process
 * (about 60 MB at 100,000 downloads, `npm run bench rss`).
 *
 * @param {string} root the repository root
 * @returns {{ state: 'current' } | { state: 'stale', reason: string }}
 */
export function serverBuildState(root) {
  const built = path.join(root, 'dist', 'src', 'server.js');
  if (!existsSync(built)) return { state: 'stale', reason: 'dist/src/server.js is missing' };
  const builtAt = statSync(built).mtimeMs;
  // tsc rewrites every output on each build, so the entry's time is the build's.
  const sources = [
    path.join(root, 'tsconfig.json'),
    path.join(root, 'tsconfig.build.json'),
    ...sourcesUnder(path.join(root, 'src')),
    ...sourcesUnder(path.join(root, 'emulator')),
  ];
  const newer = sources.find((f) => existsSync(f) && statSync(f).mtimeMs > builtAt);
  return newer
    ? { state: 'stale', reason: `${path.relative(root, newer)} is newer than dist/` }
    : { state: 'current' };
}

/** @param {string} dir */
function sourcesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Builds the server when its build is missing or older than its sources, saying so in one line;
 * quiet when it is current. 'source' means no usable build could be made (TypeScript not
 * installed, or the build failed: see above): the caller runs the sources under tsx instead.
 *
 * @param {string} root
 * @param {(line: string) => void} [print]
 * @returns {'current' | 'built' | 'source'}
 */
export function ensureServerBuild(root, print = console.log) {
  const found = serverBuildState(root);
  if (found.state === 'current') return 'current';
  let tsc;
  try {
    tsc = path.join(
      path.dirname(
        createRequire(path.join(root, 'package.json')).resolve('typescript/package.json'),
      ),
      'bin',
      'tsc',
    );
  } catch {
    print(`warning: ${found.reason} and TypeScript is not installed: running from source (tsx)`);
    return 'source';
  }
  print(`server: ${found.reason}; building it (npm run build:server)`);
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status === 0) return 'built';
  print('warning: the server build failed (see above): running from source (tsx)');
  return 'source';
}
