import { threadId, type MessagePort } from 'node:worker_threads';
import { TaggingError, type TagJob } from './tag-job.js';

/**
 * The tag worker's side of the protocol with tagger.ts: one message per job, a "started" note when
 * the job begins and one reply when it ends. Jobs run one after another, in the order they came.
 */

export interface TagRequest {
  id: number;
  job: TagJob;
  /** The temp file the job writes before its rename: the server removes it if the job is killed. */
  temp: string;
}

export type TagReply =
  | { id: number; started: true; threadId: number }
  | { id: number; ok: true; digest: string | null }
  | { id: number; ok: false; message: string; code: string | null; tagging: boolean };

/**
 * How one job is done; a stand-in for tests of the worker's supervision (tagger.ts). Resolves to
 * the SHA-256 of the tagged file as read back (null when the stand-in does not say).
 */
export type RunTagJob = (job: TagJob, temp: string) => Promise<string | null | void>;

/** Serves tag jobs on `port`, one at a time, in the order they came. */
export function serveTagJobs(port: MessagePort, run: RunTagJob): void {
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (request: TagRequest) => {
    chain = chain.then(async () => {
      // The server's timeout counts from here, not from when the job was queued behind others.
      port.postMessage({ id: request.id, started: true, threadId } satisfies TagReply);
      let reply: TagReply;
      try {
        const digest = await run(request.job, request.temp);
        reply = { id: request.id, ok: true, digest: digest ?? null };
      } catch (error) {
        reply = {
          id: request.id,
          ok: false,
          message: (error as Error).message,
          code: (error as NodeJS.ErrnoException).code ?? null,
          tagging: error instanceof TaggingError,
        };
      }
      port.postMessage(reply);
    });
  });
}
