import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { writeTaggedCopy } from '../../src/library/tagging/tag-file.js';
import { serveTagJobs } from '../../src/library/tagging/tag-protocol.js';

/**
 * A tag worker for tests of the tagger's supervision, chosen by the target's name: `hang*` starts
 * its temp file and spins for ever, `crash*` starts it and ends the thread, `slow*` takes 20 ms and
 * writes a stub; anything else is tagged for real.
 */
const port = parentPort;
if (!port) throw new Error('a worker thread only');
serveTagJobs(port, async (job, temp) => {
  const name = path.basename(job.target);
  const pause = (ms: number): void => {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  };
  if (name.startsWith('hang')) {
    writeFileSync(temp, 'partial');
    for (;;) pause(1000);
  }
  if (name.startsWith('crash')) {
    writeFileSync(temp, 'partial');
    process.exit(3);
  }
  if (name.startsWith('slow')) {
    pause(20);
    writeFileSync(job.target, 'tagged');
    return;
  }
  await writeTaggedCopy(job, temp);
});
