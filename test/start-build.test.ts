import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureServerBuild, serverBuildState } from '../scripts/server-build.js';

const repoRoot = path.resolve(import.meta.dirname, '..');

/**
 * `npm start`'s build check and entry (scripts/start.js), on a repository-shaped temp folder with
 * a one-file server compiled by the real TypeScript (node_modules linked from this repository).
 */
describe('npm start: the compiled server, built when out of date', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  const repo = (
    server = "console.log('server ran from', import.meta.url.endsWith('.js') ? 'dist' : 'source');\n",
  ): string => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-start-'));
    roots.push(root);
    mkdirSync(path.join(root, 'src'), { recursive: true });
    mkdirSync(path.join(root, 'scripts'), { recursive: true });
    symlinkSync(path.join(repoRoot, 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(root, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          strict: true,
          types: [],
          outDir: 'dist',
          rootDir: '.',
        },
        include: ['src'],
      }),
    );
    writeFileSync(path.join(root, 'tsconfig.build.json'), '{ "extends": "./tsconfig.json" }\n');
    writeFileSync(path.join(root, 'src', 'server.ts'), server);
    for (const f of ['start.js', 'server-build.js'])
      copyFileSync(path.join(repoRoot, 'scripts', f), path.join(root, 'scripts', f));
    return root;
  };
  const age = (file: string, secondsAgo: number): void => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(file, t, t);
  };

  it('builds a missing build, then finds it current', () => {
    const root = repo();
    const lines: string[] = [];
    expect(serverBuildState(root)).toEqual({
      state: 'stale',
      reason: 'dist/src/server.js is missing',
    });
    expect(ensureServerBuild(root, (l) => lines.push(l))).toBe('built');
    expect(lines).toEqual([
      'server: dist/src/server.js is missing; building it (npm run build:server)',
    ]);
    expect(existsSync(path.join(root, 'dist', 'src', 'server.js'))).toBe(true);
    expect(serverBuildState(root)).toEqual({ state: 'current' });
    expect(ensureServerBuild(root, (l) => lines.push(l))).toBe('current');
    expect(lines).toHaveLength(1);
  }, 60_000);

  it('is stale when a source is newer than the build, but not for a test file', () => {
    const root = repo();
    expect(ensureServerBuild(root, () => undefined)).toBe('built');
    // Sources from 20 s ago, the build from 10 s ago: current, until something newer comes.
    for (const f of ['tsconfig.json', 'tsconfig.build.json', path.join('src', 'server.ts')])
      age(path.join(root, f), 20);
    age(path.join(root, 'dist', '.build-ok'), 10);
    expect(serverBuildState(root)).toEqual({ state: 'current' });
    writeFileSync(path.join(root, 'src', 'server.test.ts'), '// a test\n');
    expect(serverBuildState(root)).toEqual({ state: 'current' });
    writeFileSync(path.join(root, 'src', 'other.ts'), 'export const x = 1;\n');
    expect(serverBuildState(root)).toEqual({
      state: 'stale',
      reason: `${path.join('src', 'other.ts')} is newer than dist/`,
    });
  }, 60_000);

  it('runs the compiled server, and the sources under tsx when the build fails', () => {
    const root = repo();
    const run = (): string =>
      execFileSync(process.execPath, [path.join(root, 'scripts', 'start.js')], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    expect(run()).toContain('server ran from dist');
    // A type error: tsc exits non-zero, so the start says so and runs the sources instead.
    writeFileSync(
      path.join(root, 'src', 'server.ts'),
      "const n: number = 'text' as unknown as number;\nconst bad: string = 1;\nconsole.log('server ran from', import.meta.url.endsWith('.js') ? 'dist' : 'source', n, bad);\n",
    );
    const out = run();
    expect(out).toContain(
      'warning: the server build failed (see above): running from source (tsx)',
    );
    expect(out).toContain('server ran from source');
    // The failed build left no stamp: the next start tries again, and never runs a broken build.
    const again = run();
    expect(again).toContain('the last build did not finish; building it');
    expect(again).toContain('server ran from source');
  }, 90_000);

  it('takes a build without its stamp (interrupted) for unfinished', () => {
    const root = repo();
    expect(ensureServerBuild(root, () => undefined)).toBe('built');
    rmSync(path.join(root, 'dist', '.build-ok'));
    expect(serverBuildState(root)).toEqual({
      state: 'stale',
      reason: 'the last build did not finish',
    });
  }, 60_000);

  it('builds once when two starts run at once; the other waits and runs the same build', async () => {
    const root = repo();
    const start = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.js')], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.on('error', reject);
        child.on('close', () => resolve(out));
      });
    const outs = await Promise.all([start(), start()]);
    expect(outs.join('\n').match(/; building it \(npm run build:server\)/g)).toHaveLength(1);
    for (const out of outs) expect(out).toContain('server ran from dist');
    expect(existsSync(path.join(root, 'dist', '.build-lock'))).toBe(false);
  }, 90_000);
});
