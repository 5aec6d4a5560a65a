import { parentPort } from 'node:worker_threads';
import { writeTaggedCopy } from './tag-file.js';
import { serveTagJobs } from './tag-protocol.js';

/**
 * The tag worker's entry (a worker thread started by tagger.ts). node-taglib-sharp blocks this
 * thread while it works, which is the point of having it here rather than on the server's event
 * loop.
 */

const port = parentPort;
if (!port) throw new Error('tag.worker.ts runs as a worker thread only');
serveTagJobs(port, writeTaggedCopy);
