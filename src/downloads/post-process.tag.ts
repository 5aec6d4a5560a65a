import { unlink } from 'node:fs/promises';
import {
  TaggingError,
  TagWorkerError,
  type Tagger,
  type TagResult,
} from '../library/tagging/tagger.js';
import type { JobContext } from './download.job.js';

/** Tag-worker jobs of post-processing (post-process.step.ts), and a refused one failing the file. */

/**
 * One tag-worker job on the working copy: its result when done (the digest of the copy written),
 * 'over' (the worker was lost, not the file's fault: the working copy is removed and filing
 * resumes later by itself, the claim is over), or the TaggingError that refused the file.
 */
export async function writeTags(
  ctx: JobContext,
  work: string,
  job: Parameters<Tagger['write']>[0],
): Promise<TagResult | 'over' | TaggingError> {
  try {
    return await ctx.deps.tagger!.write(job);
  } catch (error) {
    // A staged copy is the job's own temp file: the worker removes it when it fails the job, but
    // not when the job was lost before it started (or the worker never got it).
    if (job.staged) await unlink(job.source).catch(() => undefined);
    if (error instanceof TagWorkerError) {
      await unlink(work).catch(() => undefined);
      await ctx.resumeLater('tagging_failed', `Tagging was interrupted: ${error.message}`);
      return 'over';
    }
    if (error instanceof TaggingError) return error;
    throw error;
  }
}

/** A refused tagging fails the download; the staged copy is untagged and of no use to a retry. */
/** Whether a writeTags outcome is a job done. */
export function tagged(outcome: TagResult | 'over' | TaggingError): outcome is TagResult {
  return outcome !== 'over' && !(outcome instanceof TaggingError);
}

export async function failTagging(
  ctx: JobContext,
  work: string,
  error: TaggingError,
): Promise<null> {
  await unlink(work).catch(() => undefined);
  await ctx.fail('tagging_failed', `Tagging failed: ${error.message}`);
  return null;
}
