import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TaggingError, type TagJob } from './tag-file.js';
import type { TagReply, TagRequest } from './tag.worker.js';

export { TaggingError, type TagJob } from './tag-file.js';

/** Writes tags off the event loop: the server's side of the tag worker (tag.worker.ts). */
export interface Tagger {
  /** Resolves once `job.target` holds the tagged copy, read back and verified. */
  write(job: TagJob): Promise<void>;
  /** Stops the worker; jobs still running reject. */
  close(): Promise<void>;
}

export interface TaggerOptions {
  /** A job running longer is given up (the worker is restarted). Default 120 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Source (tsx, vitest) and build (dist/*.js) both work: compiled, the worker is tag.worker.js next
 * to this file; from source it is tag.worker.ts, loaded through tsx's loader registered inside the
 * worker (on Node 20 `--import tsx` in a worker's execArgv does not apply to its entry module).
 */
function startWorker(): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './tag.worker.ts' : './tag.worker.js', import.meta.url);
  if (!fromSource) return new Worker(entry);
  // tsx's ESM API (its CommonJS build cannot be imported from an ESM worker): resolved from here,
  // not from the worker's working directory.
  const cjs = createRequire(import.meta.url).resolve('tsx/esm/api');
  const tsxApi = pathToFileURL(cjs.replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true });
}

/** One worker, started at the first job and kept; it does not keep the process alive. */
export function createTagger(options: TaggerOptions = {}): Tagger {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const failAll = (error: Error): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      pending.delete(id);
      p.reject(error);
    }
  };

  const ensure = (): Worker => {
    if (worker) return worker;
    const w = startWorker();
    w.unref();
    w.on('message', (reply: TagReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      clearTimeout(p.timer);
      pending.delete(reply.id);
      if (reply.ok) return p.resolve();
      if (reply.tagging) return p.reject(new TaggingError(reply.message));
      const error: NodeJS.ErrnoException = new Error(reply.message);
      if (reply.code) error.code = reply.code;
      p.reject(error);
    });
    w.on('error', (error) => {
      if (worker === w) worker = null;
      failAll(new TaggingError(`the tag worker failed: ${error.message}`));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new TaggingError(`the tag worker exited (${code})`));
    });
    worker = w;
    return w;
  };

  return {
    write(job) {
      const w = ensure();
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new TaggingError(`tagging ${job.target} took longer than ${timeoutMs} ms`));
          // The worker may be stuck in a synchronous loop: only terminating it frees the thread.
          if (worker === w) worker = null;
          void w.terminate();
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        w.postMessage({ id, job } satisfies TagRequest);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
