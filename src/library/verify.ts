import { lstat, open, type FileHandle } from 'node:fs/promises';
import { extname } from 'node:path';
import type { IAudioMetadata } from 'music-metadata';
import { checkFlacEnd, checkMpegFrames, type ByteSource } from './audio-integrity.js';

/**
 * Checks that a downloaded file is the audio it claims to be before it enters the library.
 *
 * music-metadata alone is not enough, as measured on ffmpeg-made files: it reads random bytes named
 * .mp3 as "MPEG 1 Layer 3" with a duration now and then (it resyncs on any 0xFFE pattern), and it
 * reports the full duration of a truncated FLAC or Xing/Info MP3 from the header. So on top of
 * parsing, MP3 and FLAC get the byte-level checks in audio-integrity.ts, Ogg and WAV are judged by
 * the parser's own truncation warnings, and every file's content must match its extension.
 */

export interface VerifyExpectation {
  /** Exact size in bytes, e.g. what the peer announced. */
  size?: number;
  /** Wanted duration; checked within `toleranceSeconds` when given. */
  durationSeconds?: number | null;
  /** Default 5 s, the ranking's default tolerance. */
  toleranceSeconds?: number;
}

export type VerifyResult =
  | {
      ok: true;
      durationSeconds: number | null;
      /** Short codec name: "flac", "mp3", "aac", "alac", "opus", "vorbis", "pcm", … */
      format: string | null;
      /** Average bitrate in kbps (like `Candidate.bitRate`), rounded. */
      bitrate: number | null;
    }
  | { ok: false; reason: string };

const DEFAULT_TOLERANCE_SECONDS = 5;

/**
 * Resolves `{ ok: false, reason }` for anything wrong with the file itself (missing, wrong size,
 * not audio, damaged, wrong length). Rejects only on I/O errors such as EACCES or EIO, with their
 * code intact: those are not the file's (or the peer's) fault and must not be treated as a bad file.
 */
export async function verifyAudioFile(
  path: string,
  expect: VerifyExpectation = {},
): Promise<VerifyResult> {
  const fail = (reason: string): VerifyResult => ({ ok: false, reason });

  let size: number;
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) return fail('not a regular file');
    size = stats.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return fail('file not found');
    throw error;
  }
  if (expect.size !== undefined && size !== expect.size) {
    return fail(`size ${size} bytes, expected ${expect.size}`);
  }
  if (size === 0) return fail('empty file');

  // The byte-level check first for the common formats: it rejects garbage in milliseconds, where
  // music-metadata may spend seconds resyncing through megabytes of noise.
  const extension = extname(path).slice(1).toLowerCase();
  const byExtension = extension === 'mp3' ? 'mpeg' : extension === 'flac' ? 'flac' : null;
  if (byExtension) {
    const damage = await checkIntegrity(path, size, byExtension);
    if (damage) return fail(damage);
  }

  let metadata: IAudioMetadata;
  // Loaded at the first file to verify, not at start: about 14 MB resident a process that files
  // nothing (an API-only process, a paused queue) does not need.
  const { parseFile } = await import('music-metadata');
  try {
    metadata = await parseFile(path, { duration: true, skipCovers: true });
  } catch (error) {
    if (isIoError(error)) throw error;
    return fail(`not readable as audio: ${(error as Error).message}`);
  }
  const { format } = metadata;
  const duration = format.duration;
  if (!format.hasAudio) return fail('no audio stream');
  if (duration === undefined || !Number.isFinite(duration) || duration <= 0) {
    return fail('no audio duration');
  }

  const family = familyOf(format.container, format.codec);
  const mismatch = extensionMismatch(extension, family, format.codec);
  if (mismatch) return fail(mismatch);

  // Only the warnings that mean "the data stops early": music-metadata also warns about harmless
  // things (its "Data chunk size exceeds file size" fires on every ffmpeg WAV with a LIST chunk).
  const truncation = TRUNCATION_WARNINGS[family];
  if (truncation) {
    const warning = metadata.quality.warnings.find((w) => truncation.test(w.message));
    if (warning) return fail(`damaged: ${warning.message}`);
  }

  // Uncompressed PCM has an exact data rate, so the header's duration tells how big the file must be.
  if (
    (family === 'wave' || family === 'aiff') &&
    /PCM/i.test(format.codec ?? '') &&
    format.bitrate
  ) {
    const needed = (duration * format.bitrate) / 8;
    if (size < needed * 0.99)
      return fail(`truncated: ${size} bytes, the header implies ${Math.round(needed)}`);
  }

  if ((family === 'mpeg' || family === 'flac') && family !== byExtension) {
    const damage = await checkIntegrity(path, size, family);
    if (damage) return fail(damage);
  }

  const expected = expect.durationSeconds;
  if (expected !== null && expected !== undefined && expected > 0) {
    const tolerance = expect.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    if (Math.abs(duration - expected) > tolerance) {
      return fail(`duration ${duration.toFixed(1)} s, expected ${expected} s ± ${tolerance}`);
    }
  }

  return {
    ok: true,
    durationSeconds: duration,
    format: shortFormat(family, format.codec, format.container),
    bitrate: format.bitrate && format.bitrate > 0 ? Math.round(format.bitrate / 1000) : null,
  };
}

/** A system error (it has an errno code like "EACCES"), as opposed to a parse error. */
function isIoError(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

const TRUNCATION_WARNINGS: Partial<Record<Family, RegExp>> = {
  wave: /data chunk length exceeding file length/i,
  ogg: /end-of-stream reached before reaching last page|corrupt ogg content/i,
};

type Family =
  'mpeg' | 'adts' | 'flac' | 'ogg' | 'wave' | 'aiff' | 'asf' | 'ape' | 'wavpack' | 'mp4' | 'other';

function familyOf(container = '', codec = ''): Family {
  if (container === 'MPEG' && /Layer/.test(codec)) return 'mpeg';
  if (container.startsWith('ADTS')) return 'adts';
  if (container === 'FLAC') return 'flac';
  if (container === 'Ogg') return 'ogg';
  if (/^(?:WAVE|RF64)/.test(container)) return 'wave';
  if (container.startsWith('AIFF')) return 'aiff';
  if (container.startsWith('ASF')) return 'asf';
  if (container === "Monkey's Audio") return 'ape';
  if (container === 'WavPack') return 'wavpack';
  // music-metadata names MP4 files by their brands ("M4A/isom/iso2", "isom/iso2/mp41").
  if (/AAC|ALAC|MPEG-4/i.test(codec) || /M4A|M4B|isom|iso\d|mp4\d/i.test(container)) return 'mp4';
  return 'other';
}

/** Which families each extension may hold; an extension not listed is not checked. */
const EXTENSION_FAMILIES: Record<string, Family[]> = {
  mp3: ['mpeg'],
  flac: ['flac'],
  m4a: ['mp4'],
  alac: ['mp4'],
  mp4: ['mp4'],
  aac: ['adts', 'mp4'],
  ogg: ['ogg'],
  oga: ['ogg'],
  opus: ['ogg'],
  wav: ['wave'],
  aiff: ['aiff'],
  aif: ['aiff'],
  wma: ['asf'],
  ape: ['ape'],
  wv: ['wavpack'],
};

function extensionMismatch(extension: string, family: Family, codec = ''): string | null {
  const allowed = EXTENSION_FAMILIES[extension];
  const isMp3 = extension !== 'mp3' || /Layer 3/.test(codec);
  if (allowed === undefined || (allowed.includes(family) && isMp3)) return null;
  return `content is ${codec || family}, not .${extension}`;
}

function shortFormat(family: Family, codec = '', container = ''): string | null {
  if (family === 'mpeg')
    return /Layer 3/.test(codec) ? 'mp3' : /Layer 2/.test(codec) ? 'mp2' : 'mp1';
  if (family === 'flac') return 'flac';
  if (/ALAC/i.test(codec)) return 'alac';
  if (/AAC/i.test(codec)) return 'aac';
  if (/Opus/i.test(codec)) return 'opus';
  if (/Vorbis/i.test(codec)) return 'vorbis';
  if (/PCM/i.test(codec)) return 'pcm';
  return (codec || container).toLowerCase() || null;
}

async function checkIntegrity(
  path: string,
  size: number,
  kind: 'mpeg' | 'flac',
): Promise<string | null> {
  const handle = await open(path, 'r');
  try {
    const source = fileSource(handle, size);
    return kind === 'mpeg' ? await checkMpegFrames(source) : await checkFlacEnd(source);
  } finally {
    await handle.close();
  }
}

function fileSource(handle: FileHandle, size: number): ByteSource {
  return {
    size,
    read: async (offset, length) => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
  };
}
