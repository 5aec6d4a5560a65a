import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { startModuleWorker } from './worker-thread.js';
import { averageSpectrumSteps, findCliff, type Finding } from './spectrum.js';
import { checkFile, type DecodeConfig, type FileCheckResult } from './transcode-decode.js';
import type { CheckReply, CheckRequest } from './transcode.worker.js';

/**
 * Where transcode checks run: off the event loop. Measured before this existed, the FFT averaging
 * of one 192 kHz file held the event loop ~440 ms, and each ffmpeg spawn (a fork) 20–35 ms in a
 * process holding 200 MB. One worker thread (transcode.worker.ts), started at the first file and
 * kept, checks each file whole (header, ffmpeg, FFT) and answers with the result; files queue on
 * it one after another, as filing's concurrency is small.
 *
 * Fallback: when the worker cannot start or dies (a broken install, a thread limit), the file is
 * checked again on the event loop — ffmpeg spawned from here, and the FFT one window at a time,
 * yielding whenever `FALLBACK_SLICE_MS` have passed (measured < 50 ms at 192 kHz once the JIT is
 * warm; the first windows of a process cost up to ~30–60 ms each on a loaded machine). Slower, and
 * the spawns block as they always did, but never the ~440 ms. The worker is tried again for the
 * next file.
 */
export interface TranscodePool {
  check(file: string, cfg: DecodeConfig): Promise<PoolResult>;
  /** Stops the worker; a check still running on it is redone on the event loop. */
  close(): Promise<void>;
}

export interface PoolResult {
  result: FileCheckResult;
  /** Where it ran: "worker", or "event-loop" (the fallback). */
  ranOn: 'worker' | 'event-loop';
}

export interface TranscodePoolOptions {
  /** False checks every file with the fallback (tests, and a place to measure it). */
  useWorker?: boolean;
  /** A worker script instead of transcode.worker (tests: one that dies, to see the fallback). */
  workerEntry?: URL;
}

/** The fallback's longest run between yields, leaving room under a 50 ms budget for the rest. */
const FALLBACK_SLICE_MS = 10;

/** The analysis on this thread, yielding to the event loop whenever it has run for a while. */
export async function analyseInSteps(
  slices: readonly Float32Array[],
  sampleRate: number,
): Promise<Finding> {
  const work = averageSpectrumSteps(slices, sampleRate, 1);
  let since = performance.now();
  for (;;) {
    const step = work.next();
    if (step.done) return findCliff(step.value);
    if (performance.now() - since >= FALLBACK_SLICE_MS) {
      await nextTurn();
      since = performance.now();
    }
  }
}

const startWorker = (): Worker => startModuleWorker(import.meta.url, 'transcode.worker');

export function createTranscodePool(options: TranscodePoolOptions = {}): TranscodePool {
  const useWorker = options.useWorker ?? true;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (r: FileCheckResult) => void; reject: (e: Error) => void }
  >();

  const failAll = (error: Error): void => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  const ensure = (): Worker => {
    if (worker) return worker;
    const w = options.workerEntry ? new Worker(options.workerEntry) : startWorker();
    // Idle, it must not keep the process alive; busy, it is referenced (see inWorker).
    w.unref();
    w.on('message', (reply: CheckReply) => {
      const p = pending.get(reply.id);
      if (!p) return;
      pending.delete(reply.id);
      if (pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.result);
      else p.reject(new Error(reply.message));
    });
    w.on('error', (error) => {
      if (worker === w) worker = null;
      failAll(new Error(`the transcode worker failed: ${error.message}`));
    });
    w.on('exit', (code) => {
      if (worker === w) worker = null;
      failAll(new Error(`the transcode worker exited (${code})`));
    });
    worker = w;
    return w;
  };

  const inWorker = (file: string, cfg: DecodeConfig): Promise<FileCheckResult> =>
    new Promise((resolve, reject) => {
      const w = ensure();
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.ref();
      w.postMessage({ id, file, cfg } satisfies CheckRequest);
    });

  const here = async (file: string, cfg: DecodeConfig): Promise<PoolResult> => ({
    result: await checkFile(file, cfg, analyseInSteps),
    ranOn: 'event-loop',
  });

  return {
    async check(file, cfg) {
      if (!useWorker) return here(file, cfg);
      try {
        return { result: await inWorker(file, cfg), ranOn: 'worker' };
      } catch {
        // The worker could not start or died: the same check here (the file is still on disk).
        return here(file, cfg);
      }
    },
    async close() {
      const w = worker;
      worker = null;
      if (w) await w.terminate();
    },
  };
}
