import { unlink } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
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
  /** Stops the workers; jobs still queued or running reject with TagWorkerError. */
  close(): Promise<void>;
}

export interface TagResult {
  /** The thread that did the work (never the server's main thread). */
  threadId: number;
  /**
   * SHA-256 (hex) of `job.target` as the worker read it back after writing it; null from a
   * stand-in worker that does not compute it.
   */
  digest: string | null;
}

export interface TaggerOptions {
  /** A job running longer (counted from its start, not its queueing) is given up. Default 120 s. */
  timeoutMs?: number;
  /** The worker's entry module; tests put a stand-in there. Default tag.worker.ts/.js. */
  entry?: URL;
  /**
   * How many workers may run jobs at once, read at each job (a live setting). Default 1. Each
   * runs one job at a time: filing with 2 slots tags 2 files at once on 2 cores instead of
   * queueing the second file behind the first in one thread.
   */
  workers?: () => number;
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

/** One worker thread and the one job it runs, if any. */
interface Slot {
  worker: Worker;
  job: Pending | null;
}

/**
 * Tag workers for `slots` files filed at once: one each, but no more than the cores (tagging is
 * CPU work; a third worker on two cores only makes each file slower).
 */
export function tagWorkersFor(slots: number): number {
  return Math.max(1, Math.min(slots, availableParallelism()));
}

const startWorker = (given?: URL): Worker =>
  startModuleWorker(import.meta.url, 'tag.worker', given);

/**
 * Workers started as jobs come (up to `workers()`) and kept; they do not keep the process alive.
 * Jobs wait here, in the order they came, until a worker is free.
 */
export function createTagger(options: TaggerOptions = {}): Tagger {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const limit = (): number => Math.max(1, Math.floor(options.workers?.() ?? 1));
  const slots: Slot[] = [];
  const waiting: Pending[] = [];
  let nextId = 1;

  const settle = (p: Pending, error: Error | null, digest: string | null = null): void => {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    if (error) p.reject(error);
    else p.resolve({ threadId: p.threadId, digest });
  };

  /** Gives the waiting jobs to free workers, starting workers up to the limit. */
  const pump = (): void => {
    while (waiting.length > 0) {
      let slot = slots.find((s) => s.job === null);
      if (!slot && slots.length < limit()) slot = start();
      if (!slot) return;
      const p = waiting.shift()!;
      if (p.sends >= MAX_SENDS) {
        settle(p, new TagWorkerError(`the tag worker failed ${MAX_SENDS} times`));
        continue;
      }
      p.sends++;
      p.started = false;
      slot.job = p;
      slot.worker.postMessage(p.request);
    }
    // A lowered limit: workers beyond it stop once they are idle.
    for (const extra of slots.filter((s) => s.job === null).slice(0, slots.length - limit())) {
      slots.splice(slots.indexOf(extra), 1);
      void extra.worker.terminate().catch(() => undefined);
    }
  };

  /**
   * Lets go of a worker: the job it was running fails with `error` (its temp file removed once
   * the thread is gone); one it had not started yet goes back first in line for a fresh worker.
   */
  const retire = (slot: Slot, error: TagWorkerError): void => {
    const at = slots.indexOf(slot);
    if (at < 0) return; // already retired
    slots.splice(at, 1);
    // Only terminating frees a thread stuck in a synchronous loop; its temp file goes after it.
    const gone = slot.worker.terminate().catch(() => undefined);
    const p = slot.job;
    slot.job = null;
    if (p?.started) {
      settle(p, error);
      void gone.then(() => unlink(p.request.temp).catch(() => undefined));
    } else if (p) waiting.unshift(p);
    pump();
  };

  const start = (): Slot => {
    const w = startWorker(options.entry);
    w.unref();
    const slot: Slot = { worker: w, job: null };
    w.on('message', (reply: TagReply) => {
      const p = slot.job;
      if (!p || p.request.id !== reply.id || !slots.includes(slot)) return;
      if ('started' in reply) {
        p.started = true;
        p.threadId = reply.threadId;
        p.timer = setTimeout(
          () =>
            retire(
              slot,
              new TagWorkerError(
                `tagging ${p.request.job.target} took longer than ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
        return;
      }
      slot.job = null;
      if (reply.ok) settle(p, null, reply.digest);
      else if (reply.tagging) settle(p, new TaggingError(reply.message));
      else {
        const error: NodeJS.ErrnoException = new Error(reply.message);
        if (reply.code) error.code = reply.code;
        settle(p, error);
      }
      pump();
    });
    w.on('error', (error) => {
      retire(slot, new TagWorkerError(`the tag worker failed: ${error.message}`));
    });
    w.on('exit', (code) => {
      retire(slot, new TagWorkerError(`the tag worker exited (${code})`));
    });
    slots.push(slot);
    return slot;
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
        waiting.push(p);
        pump();
      });
    },
    // A write after close starts workers again, as the first write did.
    async close() {
      const running = slots.map((s) => s.job).filter((p): p is Pending => p !== null);
      const temps = running.filter((p) => p.started).map((p) => p.request.temp);
      const workers = slots.splice(0).map((s) => s.worker);
      for (const p of [...running, ...waiting.splice(0)])
        settle(p, new TagWorkerError('the tagger was closed'));
      await Promise.all(workers.map((w) => w.terminate()));
      await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    },
  };
}
