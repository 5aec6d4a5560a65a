// @ts-check
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Whether `npm start` must compile the server first (`dist/`, from `npm run build:server`). Plain
 * JavaScript on purpose: it runs before there is a build, and without tsx's loader, whose thread
 * and source maps would stay resident in the server process (`npm run bench rss`).
 *
 * A build counts only once it is whole: `dist/.build-ok` is removed before tsc starts and written
 * after it succeeded, so a build that failed type-checking or was interrupted half-way is never
 * taken for current (its files have fresh times too). The stamp's time is the build's.
 *
 * @param {string} root the repository root
 * @returns {{ state: 'current' } | { state: 'stale', reason: string }}
 */
export function serverBuildState(root) {
  const stamp = path.join(root, 'dist', BUILD_OK);
  if (!existsSync(path.join(root, 'dist', 'src', 'server.js')))
    return { state: 'stale', reason: 'dist/src/server.js is missing' };
  if (!existsSync(stamp)) return { state: 'stale', reason: 'the last build did not finish' };
  const builtAt = statSync(stamp).mtimeMs;
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

const BUILD_OK = '.build-ok';
const BUILD_LOCK = '.build-lock';
/** A lock older than this is a build that died with its process: taken over. */
const STALE_LOCK_MS = 10 * 60_000;

/** @param {string} dir */
function sourcesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

/**
 * Builds the server when its build is missing, unfinished or older than its sources, saying so
 * in one line; quiet when it is current. Two starts at once (several processes on one
 * PostgreSQL) build once: the second waits for the first's lock and then finds the build current.
 * 'source' means no usable build could be made (TypeScript not installed, or the build failed:
 * see above): the caller runs the sources under tsx instead.
 *
 * @param {string} root
 * @param {(line: string) => void} [print]
 * @returns {'current' | 'built' | 'source'}
 */
export function ensureServerBuild(root, print = console.log) {
  if (serverBuildState(root).state === 'current') return 'current';
  const unlock = lock(path.join(root, 'dist'), print);
  try {
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
    rmSync(path.join(root, 'dist', BUILD_OK), { force: true });
    const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status !== 0) {
      print('warning: the server build failed (see above): running from source (tsx)');
      return 'source';
    }
    writeFileSync(path.join(root, 'dist', BUILD_OK), `${new Date().toISOString()}\n`);
    return 'built';
  } finally {
    unlock();
  }
}

/**
 * Takes `dir/.build-lock` (created exclusively), waiting while another start holds it; returns
 * the release.
 *
 * @param {string} dir
 * @param {(line: string) => void} print
 */
function lock(dir, print) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, BUILD_LOCK);
  let said = false;
  for (;;) {
    try {
      closeSync(openSync(file, 'wx'));
      return () => rmSync(file, { force: true });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    const age = Date.now() - (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > STALE_LOCK_MS) {
      rmSync(file, { force: true });
      continue;
    }
    if (!said) print('server: another start is building it; waiting');
    said = true;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}
