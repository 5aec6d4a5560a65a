import { parentPort } from 'node:worker_threads';
import { TaggingError, writeTaggedCopy, type TagJob } from './tag-file.js';

/**
 * The tag worker's entry (a worker thread started by tagger.ts): one message per job, one reply
 * each. Jobs run one after another; node-taglib-sharp blocks this thread while it works, which is
 * the point of having it here rather than on the server's event loop.
 */

export interface TagRequest {
  id: number;
  job: TagJob;
}

export type TagReply =
  | { id: number; ok: true }
  | { id: number; ok: false; message: string; code: string | null; tagging: boolean };

const port = parentPort;
if (!port) throw new Error('tag.worker.ts runs as a worker thread only');

let chain: Promise<void> = Promise.resolve();
port.on('message', (request: TagRequest) => {
  chain = chain.then(async () => {
    let reply: TagReply;
    try {
      await writeTaggedCopy(request.job);
      reply = { id: request.id, ok: true };
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
