import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { confinedRealPath } from '../library/confine.js';
import { findByDigest, sha256 } from '../library/identical.js';
import { placeStaged, prepareLibraryFolder, type Placement } from '../library/move.js';
import { truncateUtf8 } from '../library/sanitize.js';
import { CoverError } from '../library/tagging/cover.js';
import { TaggingError, TagWorkerError } from '../library/tagging/tagger.js';
import { isTaggable, NO_TAGS, type CoverImage, type TrackTags } from '../library/tagging/tags.js';
import type { JobContext } from './download.job.js';
import type { AttemptRow, DownloadRow } from './download.repository.js';
import { clearCoverFailure, folderCover, obtainCover } from './post-process.cover.js';
import { isFile, readSource, sourceIdentity, stageTemp } from './post-process.files.js';
import { failTagging, tagged, writeTags } from './post-process.tag.js';

/**
 * Post-processing of a verified file, between verification and the library (import.step.ts):
 *
 *   tag → embed cover → place (rename into its final name) → folder cover.jpg
 *
 * When both tag and cover are due, they are one pass of the tag worker (recorded as 'covered');
 * the steps run apart when only one is switched on or due (a resumed run), or the one pass was
 * refused (then they say which of the two it was).
 *
 * Each step works on a working copy next to its final name (`.<name>.soulspot-work-<attempt>`),
 * written by the tag worker as temp file → tag → fsync → read back → rename, so slskd's file is
 * never modified and the working copy is always whole. The first step reads slskd's file once
 * (confined, readSource) and hands its bytes to the worker, which tags them in memory and writes
 * the temp file once; a file too large for that is staged on disk (stageTemp). Later steps start
 * from the working copy. The step reached is recorded on the attempt (`post_step`), with the
 * working copy's SHA-256 as the worker read it back (`post_digest`), so a crash or a retry resumes
 * with the next step on the working copy, and a crash after the placement finds the placed file by
 * its digest; without the working copy (removed, never made, or its new name lost in a crash) the
 * steps start over from slskd's file.
 *
 * A step that fails leaves slskd's file (and the working copy) in place and fails the download with
 * `tagging_failed` or `cover_failed`; POST /api/downloads/{id}/retry resumes from that step.
 */

export interface PostSteps {
  tag: boolean;
  cover: boolean;
  folderCover: boolean;
}

/** The steps the live settings switch on for this file; null when filing is a plain copy. */
export function postSteps(ctx: JobContext, extension: string): PostSteps | null {
  const { tagger, settings } = ctx.deps;
  if (!tagger || !isTaggable(extension)) return null;
  const steps = {
    tag: settings.get('tagFiles'),
    cover: settings.get('embedCover'),
    folderCover: settings.get('writeFolderCover'),
  };
  return steps.tag || steps.cover || steps.folderCover ? steps : null;
}

/** What the request says about the track, as the tag writer takes it. */
export function tagsOf(row: DownloadRow): TrackTags {
  return {
    title: row.title,
    artist: row.artist,
    album: row.album,
    albumArtist: row.album_artist,
    trackNumber: row.track_number,
    trackTotal: row.track_total ?? null,
    discNumber: row.disc_number,
    discTotal: row.disc_total ?? null,
    // A year 0 stored before the API refused it: no format keeps it, so it is not written.
    year: row.year !== null && row.year > 0 ? row.year : null,
    genre: row.genre,
    isrc: row.isrc ?? null,
    musicbrainzRecordingId: row.musicbrainz_recording_id ?? null,
    musicbrainzReleaseId: row.musicbrainz_release_id ?? null,
    musicbrainzArtistId: row.musicbrainz_artist_id ?? null,
    musicbrainzReleaseGroupId: row.musicbrainz_release_group_id ?? null,
  };
}

/** The working copy's name: hidden, and the attempt's own, so a resumed run finds it again. */
export function workFileName(fileName: string, attemptId: string): string {
  const ext = path.extname(fileName);
  // Bytes, not characters: the name must stay under 255 bytes with a temp suffix added to it.
  const stem = truncateUtf8(fileName.slice(0, fileName.length - ext.length), 180);
  return `.${stem}.soulspot-work-${attemptId.slice(0, 8)}${ext}`;
}

/**
 * Runs the switched-on steps and places the result. Returns the placement; null when a step
 * failed and the download was failed with its code (the claim is over); 'plain' when no step
 * changed the file (tags off, no cover to embed), so the caller files slskd's copy as it is.
 */
export async function postProcessAndPlace(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  segments: string[],
  steps: PostSteps,
): Promise<Placement | 'plain' | null> {
  const { config, tagger, now, log } = ctx.deps;
  if (!tagger) return 'plain';
  const directory = await prepareLibraryFolder(config.libraryDir, segments);
  const fileName = segments[segments.length - 1] as string;
  const work = path.join(directory, workFileName(fileName, attempt.id));
  const tags = tagsOf(ctx.row);
  // A recorded step counts only while its working copy is there.
  let reached = (await isFile(work)) ? attempt.post_step : null;
  const record = async (step: string, digest: string | null = null): Promise<void> => {
    await ctx.updateAttempt(attempt.id, {
      post_step: step,
      post_digest: digest,
      updated_at: now(),
    });
    reached = step;
  };

  // The cover is looked for first: when both steps are due, tags and cover then go into the
  // working copy in one pass of the tag worker (one copy, one write, one fsync, one read-back)
  // instead of two. A cover that cannot be had fails its own step below, after the tags.
  const coverDue = steps.cover && reached !== 'covered';
  let cover: CoverImage | null = null;
  let coverError: CoverError | null = null;
  if (coverDue) {
    try {
      cover = await obtainCover(ctx, attempt, root, source);
    } catch (error) {
      if (!(error instanceof CoverError)) throw error;
      coverError = error;
    }
  }

  // slskd's file, read once (confined) when a step writes from it: its bytes go to the tag
  // worker, which writes the tagged working copy in one go (no staged copy on disk); a file too
  // large to hold is staged instead. Its identity is that of the very file read.
  let read = null as Awaited<ReturnType<typeof readSource>> | null;
  const fromSource = async () => {
    read ??= await readSource(root, source);
    return read.data
      ? ({ source, data: read.data } as const)
      : ({ source: await stageTemp(root, source, work), staged: true } as const);
  };
  // The SHA-256 of the working copy this run wrote last, as the worker read it back.
  let written: string | null = null;

  // Step 1, tags (and the cover, when there is one), from slskd's file into the working copy.
  // Recorded as 'covered' when the cover went in too, with the copy's digest in the same write.
  if (steps.tag && reached === null) {
    const both = cover !== null;
    const tagsOnly = async () =>
      ({ kind: 'tags', ...(await fromSource()), target: work, tags }) as const;
    const outcome = await writeTags(
      ctx,
      work,
      cover
        ? { kind: 'tags+cover', ...(await fromSource()), target: work, tags, cover }
        : await tagsOnly(),
    );
    if (outcome === 'over') return null;
    if (!tagged(outcome) && !both) return failTagging(ctx, work, outcome);
    if (!tagged(outcome)) {
      // The one pass was refused: the tags alone say whether it was them or the cover (whose
      // own step then fails with its reason, as when the steps ran apart).
      const alone = await writeTags(ctx, work, await tagsOnly());
      if (!tagged(alone)) return alone === 'over' ? null : failTagging(ctx, work, alone);
      written = alone.digest;
      await record('tagged', written);
    } else {
      written = outcome.digest;
      await record(both ? 'covered' : 'tagged', written);
      if (both) await clearCoverFailure(ctx, attempt);
    }
  }

  // Step 2, the cover alone: tags off, tagged by an earlier run, or the one pass refused.
  if (coverDue && reached !== 'covered') {
    try {
      if (coverError) throw coverError;
      if (cover) {
        // Nothing written yet (tags off): from slskd's file as step 1; else the working copy.
        const input = reached === null ? await fromSource() : ({ source: work } as const);
        const result = await tagger
          .write({
            kind: 'cover',
            ...input,
            target: work,
            tags: steps.tag ? tags : NO_TAGS,
            cover,
          })
          .catch(async (error: unknown) => {
            // As in writeTags: a staged copy lost before the worker started it is ours to remove.
            if ('staged' in input) await unlink(input.source).catch(() => undefined);
            throw error;
          });
        written = result.digest;
        await record('covered', written);
        await clearCoverFailure(ctx, attempt);
      }
    } catch (error) {
      if (error instanceof TagWorkerError) {
        await ctx.resumeLater(
          'cover_failed',
          `Embedding the cover was interrupted: ${error.message}`,
        );
        return null;
      }
      if (!(error instanceof CoverError) && !(error instanceof TaggingError)) throw error;
      const message = `Cover art failed: ${error.message}`;
      // Marked on the attempt (which stays succeeded): a retry that meets the same dead URL and
      // no local image files the track without a cover instead of failing again (obtainCover).
      if (error instanceof CoverError)
        await ctx.updateAttempt(attempt.id, {
          error_code: 'cover_failed',
          error_message: message,
          updated_at: now(),
        });
      await ctx.fail('cover_failed', message);
      return null;
    }
  }

  if (reached === null) {
    // Nothing written (tags off, no cover found): slskd's bytes go in as they are. A working copy
    // an earlier run left (other settings then) is removed.
    // The folder cover comes after the track is placed (folderCoverAfterPlain), as on the other
    // path: a placement that fails must not leave an album folder holding only a cover.
    await unlink(work).catch(() => undefined);
    return 'plain';
  }

  // Recorded with the step when this run wrote the copy; else (resumed at a recorded step, or a
  // worker that does not say) read here.
  if (written === null) await record(reached, await sha256(work));
  const identity = read?.identity ?? (await sourceIdentity(root, source));
  const placed = await placeStaged(work, directory, fileName, {
    signal: ctx.signal,
    // Fenced: a worker that lost its lease places nothing.
    beforePlace: () => ctx.confirmLease(),
    adoptIdentical: true,
  });
  if (steps.folderCover) await folderCover(ctx, attempt, root, source, directory, cover);
  log.debug({ id: ctx.row.id, path: placed.path, steps: reached }, 'post-processed');
  return { ...placed, source: identity };
}

/**
 * A post-processed file placed before a crash or a lost write, found by the digest recorded just
 * before its placement; null when there is none (then filing carries on as usual).
 */
export async function adoptPostProcessed(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
): Promise<Placement | null> {
  if (!attempt.post_digest || !attempt.target_path) return null;
  await confinedRealPath(root, source);
  const placed = await findByDigest(attempt.target_path, attempt.post_digest);
  if (!placed) return null;
  ctx.deps.log.info({ id: ctx.row.id, path: placed }, 'adopting the post-processed file');
  return { path: placed, created: false, source: await sourceIdentity(root, source) };
}

/**
 * The folder cover for a track filed as slskd's plain copy (fileWithPostProcessing said 'plain'),
 * once it is placed at `placed`.
 */
export async function folderCoverAfterPlain(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  placed: string,
): Promise<void> {
  const steps = postSteps(ctx, path.extname(placed).slice(1));
  if (steps?.folderCover) await folderCover(ctx, attempt, root, source, path.dirname(placed), null);
}

/**
 * Filing with the switched-on post-processing steps (see the top of this file): the placement,
 * null when a step failed the download, 'plain' when slskd's copy is to be filed as it is.
 */
export async function fileWithPostProcessing(
  ctx: JobContext,
  attempt: AttemptRow,
  root: string,
  source: string,
  segments: string[],
): Promise<Placement | 'plain' | null> {
  const fileName = segments[segments.length - 1] as string;
  const steps = postSteps(ctx, path.extname(fileName).slice(1));
  if (!steps) return 'plain';
  return postProcessAndPlace(ctx, attempt, root, source, segments, steps);
}
