import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { truncateUtf8 } from '../sanitize.js';
import type { CoverImage, TrackTags } from './tags.js';

/**
 * What the server side of tagging needs (tagger.ts): the job, its error and its temp name. Apart
 * from tag-file.ts so that the server does not load node-taglib-sharp and music-metadata at start
 * (several MB resident); only the tag worker loads them.
 */

/** What one tagging call does to a file: write the text tags, or embed the front cover. */
export type TagJob =
  | { kind: 'tags'; source: string; target: string; tags: TrackTags }
  | { kind: 'cover'; source: string; target: string; tags: TrackTags; cover: CoverImage };

/** The file could not be tagged, or did not read back as written. */
export class TaggingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaggingError';
  }
}

/**
 * The hidden temp file a job for `target` writes before its rename. Named like placement's temp
 * files, so the start-up sweep removes one a crash left.
 */
export function tempFileFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${truncateUtf8(path.basename(target), 200)}.soulspot-${randomBytes(6).toString('hex')}.part`,
  );
}
