// Makes tiny real audio files with ffmpeg, for tests that need more than fixtures/audio ships.
// Mono sine tones; FLAC at 22050 Hz, MP3 at 44100 Hz when the bitrate needs MPEG-1 (> 160 kbps).
import { renderLavfi, sineSource } from './ffmpeg.js';

export interface ToneOptions {
  seconds: number;
  /** Hz, default 440. */
  frequency?: number;
  format: 'flac' | 'mp3';
  /** MP3 only, default 128. */
  bitrateKbps?: number;
}

export async function makeTone(file: string, opts: ToneOptions): Promise<void> {
  const frequency = opts.frequency ?? 440;
  const kbps = opts.bitrateKbps ?? 128;
  // MPEG-2 Layer III (22050 Hz) tops out at 160 kbps, so higher bitrates need MPEG-1's 44100 Hz.
  const sampleRate = opts.format === 'mp3' && kbps > 160 ? 44_100 : 22_050;
  const codec =
    opts.format === 'flac' ? ['-c:a', 'flac'] : ['-c:a', 'libmp3lame', '-b:a', `${kbps}k`];
  await renderLavfi(file, sineSource(opts.seconds, frequency, sampleRate), [
    '-ac',
    '1',
    ...codec,
    '-map_metadata',
    '-1',
    '-fflags',
    '+bitexact',
    '-flags:a',
    '+bitexact',
    '-f',
    opts.format,
  ]);
}

/**
 * White-noise FLAC (stereo, 44.1 kHz, 16 bit): it hardly compresses, about 10 MB a minute, so a
 * copy of it takes long enough to be caught in the middle.
 */
export async function makeNoise(file: string, seconds: number): Promise<void> {
  await renderLavfi(
    file,
    `anoisesrc=color=white:duration=${seconds}:sample_rate=44100:amplitude=0.5`,
    ['-ac', '2', '-c:a', 'flac', '-compression_level', '0', '-map_metadata', '-1', '-f', 'flac'],
  );
}
