// Real audio in every format the tag writer handles, and real cover images, made with ffmpeg.
import { renderLavfi, sineSource } from './ffmpeg.js';

export const TAG_FORMATS = ['mp3', 'flac', 'm4a', 'ogg', 'opus'] as const;
export type TagFormat = (typeof TAG_FORMATS)[number];

const CODECS: Record<TagFormat, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'],
  flac: ['-c:a', 'flac', '-f', 'flac'],
  // AAC in an MP4 container, as iTunes and most rippers make it.
  m4a: ['-c:a', 'aac', '-b:a', '96k', '-f', 'ipod'],
  ogg: ['-c:a', 'libvorbis', '-q:a', '2', '-f', 'ogg'],
  opus: ['-c:a', 'libopus', '-b:a', '48k', '-f', 'opus'],
};

/** A mono 440 Hz tone of `seconds` in `format`, without any metadata. */
export async function makeAudio(file: string, format: TagFormat, seconds = 2): Promise<void> {
  await renderLavfi(file, sineSource(seconds, 440, 48_000), [
    '-ac',
    '1',
    '-map_metadata',
    '-1',
    ...CODECS[format],
  ]);
}

/** A small solid-colour JPEG or PNG (by the file's extension). */
export async function makeImage(file: string, colour = 'red', size = 32): Promise<void> {
  await renderLavfi(file, `color=${colour}:s=${size}x${size}`, ['-frames:v', '1']);
}
