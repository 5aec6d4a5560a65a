import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on `name` (without extension) next to `from` (a module's import.meta.url).
 * Source (tsx, vitest) and build (dist/*.js) both work: compiled, the entry is `<name>.js`; from
 * source it is `<name>.ts`, loaded through tsx's loader registered inside the worker (on Node 20
 * `--import tsx` in a worker's execArgv does not apply to its entry module). A given `entry` URL
 * replaces the computed one (tests start stand-in workers).
 */
export function startModuleWorker(from: string, name: string, entry?: URL): Worker {
  const fromSource = from.endsWith('.ts');
  const url = entry ?? new URL(`./${name}${fromSource ? '.ts' : '.js'}`, from);
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  // tsx's ESM API (its CommonJS build cannot be imported from an ESM worker): resolved from here,
  // not from the worker's working directory.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}
