import { unlink } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../worker-thread.js';
import { tempFileFor, TaggingError, type TagJob } from './tag-job.js';
import type { TagReply, TagRequest } from './tag-protocol.js';

export { TaggingError, type TagJob } from './tag-job.js';

/** Writes tags off the event loop: the server's side of the tag worker (tag.worker.ts). */
export interface Tagger {
  /**
   * Resolves once `job.target` holds the tagged copy, read back and verified. Rejects with
   * TaggingError when the file cannot be tagged, TagWorkerError when the worker was lost (a
   * transient fault: the same job may well succeed later), or an errno error.
   */
  write(job: TagJob): Promise<TagResult>;
  /** Stops the worker; jobs still queued or running reject with TagWorkerError. */
  close(): Promise<void>;
}

export interface TagResult {
  /** The thread that did the work (never the server's main thread). */
  threadId: number;
}

export interface TaggerOptions {
  /** A job running longer (counted from its start, not its queueing) is given up. Default 120 s. */
  timeoutMs?: number;
  /** The worker's entry module; tests put a stand-in there. Default tag.worker.ts/.js. */
  entry?: URL;
}

/**
 * The worker was lost while the job ran (it took too long and was stopped, or it crashed): not a
 * verdict on the file, so the caller retries later instead of failing the download.
 */
export class TagWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TagWorkerError';
  }
}

/** A job not yet started is sent to a fresh worker at most this many times. */
const MAX_SENDS = 3;

interface Pending {
  request: TagRequest;
  resolve: (result: TagResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | null;
  started: boolean;
  threadId: number;
  sends: number;
}

const startWorker = (given?: URL): Worker =>
  startModuleWorker(import.meta.url, 'tag.worker', given);

/** One worker, started at the first job and kept; it does not keep the process alive. */
export function createTagger(options: TaggerOptions = {}): Tagger {
  const timeoutMs = options.timeoutMs ?? 120_000;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const settle = (id: number, error: Error | null): void => {
    const p = pending.get(id);
    if (!p) return;
    if (p.timer) clearTimeout(p.timer);
    pending.delete(id);
    if (error) p.reject(error);
    else p.resolve({ threadId: p.threadId });
  };

  /**
   * Lets go of worker `w`: the job it was running fails with `error` (its temp file removed once
   * the thread is gone), and the jobs queued behind it go to a fresh worker.
   */
  const retire = (w: Worker, error: TagWorkerError): void => {
    if (worker !== w) return; // already retired
    worker = null;
    const running = [...pending.values()].filter((p) => p.started);
    // Only terminating frees a thread stuck in a synchronous loop; its temp file goes after it.
    const gone = w.terminate().catch(() => undefined);
    for (const p of running) {
      settle(p.request.id, error);
      void gone.then(() => unlink(p.request.temp).catch(() => undefined));
    }
    const queued = [...pending.values()].sort((a, b) => a.request.id - b.request.id);
    for (const p of queued) send(p);
  };

  const ensure = (): Worker => {
    if (worker) return worker;
    const w = startWorker(options.entry);
    w.unref();
    w.on('message', (reply: TagReply) => {
      const p = pending.get(reply.id);
      if (!p || worker !== w) return;
      if ('started' in reply) {
        p.started = true;
        p.threadId = reply.threadId;
        p.timer = setTimeout(
          () =>
            retire(
              w,
              new TagWorkerError(
                `tagging ${p.request.job.target} took longer than ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        return;
      }
      if (reply.ok) return settle(reply.id, null);
      if (reply.tagging) return settle(reply.id, new TaggingError(reply.message));
      const error: NodeJS.ErrnoException = new Error(reply.message);
      if (reply.code) error.code = reply.code;
      settle(reply.id, error);
    });
    w.on('error', (error) => {
      retire(w, new TagWorkerError(`the tag worker failed: ${error.message}`));
    });
    w.on('exit', (code) => {
      retire(w, new TagWorkerError(`the tag worker exited (${code})`));
    });
    worker = w;
    return w;
  };

  const send = (p: Pending): void => {
    if (p.sends >= MAX_SENDS) {
      settle(p.request.id, new TagWorkerError(`the tag worker failed ${MAX_SENDS} times`));
      return;
    }
    p.sends++;
    p.started = false;
    ensure().postMessage(p.request);
  };

  return {
    write(job) {
      const id = nextId++;
      return new Promise<TagResult>((resolve, reject) => {
        const request = { id, job, temp: tempFileFor(job) } satisfies TagRequest;
        const p: Pending = {
          request,
          resolve,
          reject,
          timer: null,
          started: false,
          threadId: -1,
          sends: 0,
        };
        pending.set(id, p);
        send(p);
      });
    },
    async close() {
      const w = worker;
      worker = null;
      const temps = [...pending.values()].filter((p) => p.started).map((p) => p.request.temp);
      for (const id of [...pending.keys()]) settle(id, new TagWorkerError('the tagger was closed'));
      if (w) await w.terminate();
      await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    },
  };
}
