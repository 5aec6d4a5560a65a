import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { truncateUtf8 } from '../sanitize.js';
import type { CoverImage, TrackTags } from './tags.js';

/**
 * What the server side of tagging needs (tagger.ts): the job, its error and its temp name. Apart
 * from tag-file.ts so that the server does not load node-taglib-sharp and music-metadata at start
 * (several MB resident); only the tag worker loads them.
 */

/**
 * What one tagging call does to a file: write the text tags, embed the front cover, or both in
 * one pass (one copy, one write, one fsync, one read-back), which post-processing asks for when
 * both steps are due. `tags` is always what the read-back checks; a cover job does not write them.
 */
export type TagJob = (
  | { kind: 'tags'; source: string; target: string; tags: TrackTags }
  | { kind: 'cover'; source: string; target: string; tags: TrackTags; cover: CoverImage }
  | { kind: 'tags+cover'; source: string; target: string; tags: TrackTags; cover: CoverImage }
) & {
  /**
   * `source` is a private temp copy made for this job alone (post-processing's staged copy of
   * slskd's file): it is tagged where it is, as the job's temp file, instead of copied once more.
   */
  staged?: boolean;
  /**
   * `source`'s bytes, read by the server through the downloads folder's confinement (on a
   * SharedArrayBuffer, so that handing them to the worker copies nothing): the worker tags them in
   * memory and writes the result once to its temp file; `source` then only names the file in
   * messages. Post-processing sends files up to IN_MEMORY_MAX_BYTES this way, larger ones staged.
   */
  data?: Uint8Array;
};

/**
 * Files up to this size are tagged in memory (TagJob.data): a CD track is 20-50 MB as FLAC. A
 * larger one (hi-res, a long mix) is staged on disk and tagged there, so a tag worker holds at
 * most about this much (twice, with its copy) at a time.
 */
export const IN_MEMORY_MAX_BYTES = 64 * 1024 * 1024;

/** The file could not be tagged, or did not read back as written. */
export class TaggingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaggingError';
  }
}

/**
 * The hidden temp file a job writes before its rename (a staged job's source is its own). Named
 * like placement's temp files, so the start-up sweep removes one a crash left.
 */
export function tempFileFor(job: Pick<TagJob, 'target' | 'source' | 'staged'>): string {
  if (job.staged) return job.source;
  // A job with `data` writes a fresh temp file, as one that copies its source does.
  const target = job.target;
  return path.join(
    path.dirname(target),
    `.${truncateUtf8(path.basename(target), 200)}.soulspot-${randomBytes(6).toString('hex')}.part`,
  );
}
