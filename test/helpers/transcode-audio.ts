// Real audio for the fake-lossless check, made with ffmpeg: broadband pink noise (content up to
// Nyquist, as music has), the same through an MP3 encoder and back to FLAC, a padded 24-bit copy,
// an upsampled 96 kHz copy. Mono keeps them small; the check downmixes to mono anyway.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const QUIET = ['-hide_banner', '-loglevel', 'error', '-y', '-nostdin'];

async function ffmpeg(...args: string[]): Promise<void> {
  await run('ffmpeg', [...QUIET, ...args]);
}

export interface NoiseOptions {
  seconds: number;
  /** Default 44100. */
  sampleRate?: number;
  /** 16 (default) or 24 (a genuine 24-bit file: the noise fills every bit). */
  bits?: 16 | 24;
}

/** Pink noise as FLAC: what a real lossless file of broadband music looks like to the check. */
export async function makePinkFlac(file: string, opts: NoiseOptions): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const rate = opts.sampleRate ?? 44_100;
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=pink:duration=${opts.seconds}:sample_rate=${rate}:amplitude=0.3:seed=7`,
    '-ac',
    '1',
    '-sample_fmt',
    opts.bits === 24 ? 's32' : 's16',
    '-c:a',
    'flac',
    file,
  );
}

/** `source` encoded to MP3 at `kbps` and decoded back into a 16-bit FLAC: a fake lossless file. */
export async function makeMp3Transcode(source: string, file: string, kbps: number): Promise<void> {
  const mp3 = `${file}.tmp.mp3`;
  // Stereo, as music is: LAME picks its low-pass by bitrate per channel, so a mono 128 kbps file
  // keeps content up to ~20 kHz where a stereo one stops near 17 kHz.
  await ffmpeg('-i', source, '-ac', '2', '-c:a', 'libmp3lame', '-b:a', `${kbps}k`, mp3);
  await ffmpeg('-i', mp3, '-sample_fmt', 's16', '-c:a', 'flac', file);
  await rm(mp3, { force: true });
}

/** A 16-bit `source` stored as 24-bit FLAC: the low 8 bits of every sample are zero. */
export async function makePadded24(source: string, file: string): Promise<void> {
  await ffmpeg('-i', source, '-sample_fmt', 's32', '-c:a', 'flac', file);
}

/** A 44.1 kHz `source` resampled to 96 kHz, 24 bit: an "upsampled CD". */
export async function makeUpsampled(source: string, file: string, rate = 96_000): Promise<void> {
  await ffmpeg('-i', source, '-ar', String(rate), '-sample_fmt', 's32', '-c:a', 'flac', file);
}

/** A pure tone as FLAC at 44.1 kHz (nothing above its frequency: never a cliff). */
export async function makeToneFlac(file: string, seconds: number, frequency = 440): Promise<void> {
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequency}:duration=${seconds}:sample_rate=44100`,
    '-c:a',
    'flac',
    file,
  );
}

/**
 * A genuine lossless master resampled as mastering tools do: 96 kHz pink noise through soxr at
 * precision 28 with triangular dither to a 16-bit FLAC at `rate`. Its steep anti-alias filter
 * stops the spectrum near 21 kHz (at 44.1 kHz), where an MP3 320 kbps or Opus cut-off also lies.
 */
export async function makeSteepResampledFlac(
  file: string,
  seconds: number,
  rate = 44_100,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await ffmpeg(
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=color=pink:duration=${seconds}:sample_rate=96000:amplitude=0.3:seed=11`,
    '-ac',
    '1',
    '-af',
    'aresample=resampler=soxr:precision=28:dither_method=triangular',
    '-ar',
    String(rate),
    '-sample_fmt',
    's16',
    '-c:a',
    'flac',
    file,
  );
}

/**
 * A copy of `source` whose middle `share` of bytes is overwritten with pseudo-random bytes: the header and
 * the last frames are intact (verification's checks pass), and ffmpeg resyncs past the noise and
 * exits 0, decoding a fraction of the audio.
 */
export async function corruptMiddle(source: string, file: string, share = 0.6): Promise<void> {
  const bytes = await readFile(source);
  const from = Math.floor(bytes.length * (0.5 - share / 2));
  const to = Math.floor(bytes.length * (0.5 + share / 2));
  // Seeded, so a failure can be replayed with the same bytes.
  let seed = 0x5eed;
  for (let i = from; i < to; i++) {
    seed = (seed * 1_664_525 + 1_013_904_223) >>> 0;
    bytes[i] = seed >>> 24;
  }
  await writeFile(file, bytes);
}
