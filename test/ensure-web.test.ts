import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureWeb, webState } from '../scripts/ensure-web.js';

/** The start-up build check, on a repository-shaped temp folder with a real (tiny) Vite build. */
describe('ensure-web', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
  });
  const repo = (): string => {
    const root = mkdtempSync(path.join(tmpdir(), 'soulspot-ensure-web-'));
    roots.push(root);
    return root;
  };
  const webApp = (root: string): void => {
    mkdirSync(path.join(root, 'web', 'src'), { recursive: true });
    writeFileSync(
      path.join(root, 'web', 'index.html'),
      '<!doctype html><html><body><div id="app"></div><script type="module" src="/src/main.ts"></script></body></html>',
    );
    writeFileSync(
      path.join(root, 'web', 'src', 'main.ts'),
      "document.getElementById('app')!.textContent = 'built by vite';\n",
    );
    // The shape of the real config: root is web/, output web/dist.
    writeFileSync(
      path.join(root, 'web', 'vite.config.ts'),
      "import { fileURLToPath } from 'node:url';\n" +
        "const root = fileURLToPath(new URL('.', import.meta.url));\n" +
        "export default { root, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } };\n",
    );
  };

  it('warns and goes on when there is no web/ at all', () => {
    const root = repo();
    const lines: string[] = [];
    expect(ensureWeb(root, (l) => lines.push(l))).toBe('no-web');
    expect(lines).toEqual([
      'warning: no web UI sources in web/: starting without the UI (/ answers 503)',
    ]);
  });

  it('builds a missing web/dist with Vite, then stays quiet until a source changes', () => {
    const root = repo();
    webApp(root);
    expect(webState(root)).toEqual({ state: 'stale', reason: 'web/dist is missing' });
    const lines: string[] = [];
    expect(ensureWeb(root, (l) => lines.push(l))).toBe('built');
    expect(lines).toEqual(['web UI: web/dist is missing; building it (npm run build:web)']);
    const html = readFileSync(path.join(root, 'web', 'dist', 'index.html'), 'utf8');
    expect(html).toMatch(/\/assets\/index-[\w-]+\.js/);

    const quiet: string[] = [];
    expect(ensureWeb(root, (l) => quiet.push(l))).toBe('current');
    expect(quiet).toEqual([]);

    // A source edited after the build makes it stale again.
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(root, 'web', 'src', 'main.ts'), later, later);
    expect(webState(root)).toEqual({
      state: 'stale',
      reason: `${path.join('web', 'src', 'main.ts')} is newer than web/dist`,
    });
  });

  it('says so and goes on when the build fails', () => {
    const root = repo();
    webApp(root);
    writeFileSync(path.join(root, 'web', 'src', 'main.ts'), 'import "./does-not-exist.js";\n');
    const lines: string[] = [];
    expect(ensureWeb(root, (l) => lines.push(l))).toBe('failed');
    expect(lines.at(-1)).toBe(
      'warning: the web UI build failed (see above): starting without the UI',
    );
  });
});
