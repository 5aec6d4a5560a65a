import { copyFile, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { parseFile } from 'music-metadata';
import {
  ByteVector,
  File,
  Id3v2Settings,
  MpegAudioFileSettings,
  Picture,
  PictureType,
  ReadStyle,
  TagTypes,
  type Tag,
} from 'node-taglib-sharp';
import { fsyncDirectory } from '../fsync.js';
import { TaggingError, tempFileFor, type TagJob } from './tag-job.js';
import { tagMismatches, type TrackTags } from './tags.js';

/**
 * The tag writer proper: node-taglib-sharp writes, music-metadata reads back. node-taglib-sharp is
 * synchronous (whole-file reads and writes on the calling thread), so this module runs in the tag
 * worker (tag.worker.ts), never on the server's event loop.
 */

// ID3v2.4 only: UTF-8 text frames and TDRC; a peer's v2.3 tag is rewritten as v2.4.
Id3v2Settings.defaultVersion = 4;
Id3v2Settings.forceDefaultVersion = true;
// Without this an MP3 gets a fresh ID3v1 tag at its end whenever its tag is touched.
MpegAudioFileSettings.defaultTagTypes = TagTypes.Id3v2;

export { TaggingError, tempFileFor, type TagJob } from './tag-job.js';

/**
 * Writes `target` as a tagged copy of `source`: copy to a hidden temp file next to the target, tag
 * it, fsync, read it back, then rename over the target. A crash at any point leaves `source` as it
 * was and either the old target or the new one, never a half-written file under the target's name.
 */
export async function writeTaggedCopy(job: TagJob, temp = tempFileFor(job)): Promise<void> {
  try {
    if (!job.staged) await copyFile(job.source, temp);
    applyTags(temp, path.extname(job.target), job);
    await fsyncFile(temp);
    const problems = await readBack(temp, job);
    if (problems.length > 0)
      throw new TaggingError(`tags did not read back as written: ${problems.join('; ')}`);
    await rename(temp, job.target);
    // The caller records the step as done once this resolves: the new name must survive a crash.
    await fsyncDirectory(path.dirname(job.target));
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    if (error instanceof TaggingError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    // I/O errors keep their code (ENOSPC, EACCES…) so the caller can classify them.
    if (code) throw error;
    throw new TaggingError(`cannot tag ${job.target}: ${(error as Error).message}`);
  }
}

/** node-taglib-sharp picks the format by extension ("taglib/<ext>"); the temp name has none. */
function applyTags(file: string, extension: string, job: TagJob): void {
  // ReadStyle.None: the audio properties (duration, bitrate) are not needed to write tags.
  const f = File.createFromPath(file, `taglib/${extension.slice(1).toLowerCase()}`, ReadStyle.None);
  try {
    if (f.mimeType === 'taglib/mp3') {
      // One ID3v2.4 tag: ID3v1 cannot hold UTF-8 nor most of these fields, and an APE tag in an
      // MP3 would shadow ours in some players.
      f.removeTags(TagTypes.Id3v1 | TagTypes.Ape);
      f.getTag(TagTypes.Id3v2, true);
    }
    const tag = f.tag;
    if (job.kind !== 'cover') setText(tag, job.tags);
    if (job.kind !== 'tags')
      tag.pictures = [
        Picture.fromFullData(
          ByteVector.fromByteArray(job.cover.data),
          PictureType.FrontCover,
          job.cover.mime,
          'Cover',
        ),
      ];
    f.save();
  } finally {
    f.dispose();
  }
}

function setText(tag: Tag, t: TrackTags): void {
  if (t.title !== null) tag.title = t.title;
  if (t.artist !== null) tag.performers = [t.artist];
  if (t.album !== null) tag.album = t.album;
  if (t.albumArtist !== null) tag.albumArtists = [t.albumArtist];
  if (t.trackNumber !== null) tag.track = t.trackNumber;
  if (t.trackTotal !== null) tag.trackCount = t.trackTotal;
  if (t.discNumber !== null) tag.disc = t.discNumber;
  if (t.discTotal !== null) tag.discCount = t.discTotal;
  if (t.year !== null) tag.year = t.year;
  if (t.genre !== null) tag.genres = [t.genre];
  if (t.isrc !== null) tag.isrc = t.isrc;
  if (t.musicbrainzRecordingId !== null) tag.musicBrainzTrackId = t.musicbrainzRecordingId;
  if (t.musicbrainzReleaseId !== null) tag.musicBrainzReleaseId = t.musicbrainzReleaseId;
  if (t.musicbrainzArtistId !== null) tag.musicBrainzArtistId = t.musicbrainzArtistId;
  if (t.musicbrainzReleaseGroupId !== null)
    tag.musicBrainzReleaseGroupId = t.musicbrainzReleaseGroupId;
}

async function readBack(file: string, job: TagJob): Promise<string[]> {
  const cover = job.kind === 'tags' ? null : job.cover;
  const meta = await parseFile(file, { duration: false, skipCovers: cover === null });
  // The cover step re-checks the text tags too: rewriting the file must not have lost them.
  return tagMismatches(job.tags, meta.common, cover);
}

async function fsyncFile(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
