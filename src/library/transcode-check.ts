import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { parseFile } from 'music-metadata';
import { averageSpectrum, findCliff, paddedBitDepth, type Finding } from './spectrum.js';

/**
 * The fake-lossless check on a file (the I/O half; the analysis is spectrum.ts): ffmpeg decodes a
 * few slices of the file to mono 32-bit float PCM (and, for files deeper than 16 bit, one slice to
 * 32-bit integers at native depth), and the pure analysis judges them. Memory is bounded by the
 * slices (3 × 10 s of mono float at 44.1 kHz is 5 MB), time by a timeout per ffmpeg run.
 *
 * Without ffmpeg nothing is claimed: the result is `skipped` with the reason, `/api/health` says the
 * check is unavailable, and the download records `transcodeCheck: "skipped"`.
 */

export type TranscodeCheckResult =
  ({ status: 'checked' } & Finding) | { status: 'skipped'; reason: string };

export interface TranscodeAvailability {
  available: boolean;
  /** ffmpeg's version line when available, else why not. */
  message: string;
}

export interface TranscodeChecker {
  /** Whether ffmpeg runs here (probed once a minute at most). */
  availability(): Promise<TranscodeAvailability>;
  check(file: string): Promise<TranscodeCheckResult>;
}

export interface TranscodeCheckerOptions {
  /** The ffmpeg binary, default "ffmpeg" (looked up on PATH). */
  ffmpegPath?: string;
  /** Slices decoded from several parts of the file (default 3) … */
  slices?: number;
  /** … of this many seconds each (default 10). */
  sliceSeconds?: number;
  /** Each ffmpeg run is killed after this long (default 30 s). */
  timeoutMs?: number;
}

/** Extensions that hold lossless audio (m4a only when it is ALAC, see `isLosslessFile`). */
const LOSSLESS_EXTENSIONS = new Set(['flac', 'wav', 'aiff', 'aif', 'ape', 'wv', 'alac']);

/** True for files the check applies to: lossless containers, and M4A only when the codec is ALAC. */
export function isLosslessFile(extension: string, format: string | null): boolean {
  const ext = extension.toLowerCase();
  if (ext === 'm4a' || ext === 'mp4') return format === 'alac';
  return LOSSLESS_EXTENSIONS.has(ext);
}

/** How long a probe of ffmpeg's presence is believed: installing it takes effect within this. */
const PROBE_TTL_MS = 60_000;

export function createTranscodeChecker(options: TranscodeCheckerOptions = {}): TranscodeChecker {
  const ffmpeg = options.ffmpegPath ?? 'ffmpeg';
  const sliceCount = options.slices ?? 3;
  const sliceSeconds = options.sliceSeconds ?? 10;
  const timeoutMs = options.timeoutMs ?? 30_000;
  let probe: { at: number; result: Promise<TranscodeAvailability> } | null = null;

  const availability = (): Promise<TranscodeAvailability> => {
    const now = Date.now();
    if (!probe || now - probe.at > PROBE_TTL_MS) {
      probe = {
        at: now,
        result: run(ffmpeg, ['-hide_banner', '-version'], [], 8192, 10_000).then(
          ({ outputs }) => ({
            available: true,
            message: outputs[0]?.toString('utf8').split('\n')[0]?.trim() || 'ffmpeg',
          }),
          (error: unknown) => ({ available: false, message: unavailableMessage(error, ffmpeg) }),
        ),
      };
    }
    return probe.result;
  };

  return {
    availability,
    async check(file) {
      const ready = await availability();
      if (!ready.available) return { status: 'skipped', reason: ready.message };
      const { format } = await parseFile(file, { duration: false, skipCovers: true });
      const sampleRate = format.sampleRate ?? 0;
      const duration = format.duration ?? 0;
      if (sampleRate <= 0 || duration <= 0) {
        return { status: 'skipped', reason: 'the file names no sample rate or duration' };
      }
      try {
        const starts = sliceStarts(duration, sliceCount, sliceSeconds);
        const length = duration <= sliceCount * sliceSeconds ? duration : sliceSeconds;
        const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
        for (const start of starts)
          args.push('-ss', String(start), '-t', String(length), '-i', file);
        // One output per slice, each to a pipe of its own (fd 1, 3, 4…): slices joined in one
        // stream would put a click at each seam, broadband energy right where a cliff is looked for.
        starts.forEach((_, i) =>
          args.push('-map', `${i}:a:0`, '-ac', '1', '-f', 'f32le', `pipe:${i === 0 ? 1 : i + 2}`),
        );
        const maxBytes = Math.ceil(length * sampleRate * 1.05 + sampleRate) * 4;
        const { outputs } = await run(ffmpeg, args, starts.slice(1), maxBytes, timeoutMs);
        const slices = outputs.map((b) => new Float32Array(aligned(b)));
        const cliff = findCliff(averageSpectrum(slices, sampleRate));
        const bits = format.bitsPerSample ?? 0;
        if (bits <= 16 || cliff.verdict === 'suspect') return { status: 'checked', ...cliff };
        const padded = await bitDepthCheck(file, bits, duration, format.numberOfChannels ?? 2);
        return { status: 'checked', ...combine(cliff, padded) };
      } catch (error) {
        return { status: 'skipped', reason: `ffmpeg could not decode it: ${describe(error)}` };
      }
    },
  };

  /** Five seconds from the middle at native depth, every channel (padding is per sample). */
  async function bitDepthCheck(
    file: string,
    bits: number,
    duration: number,
    channels: number,
  ): Promise<Finding> {
    const seconds = Math.min(5, duration);
    const start = Math.max(0, duration / 2 - seconds / 2);
    const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-ss', String(start)];
    args.push('-t', String(seconds), '-i', file, '-map', '0:a:0', '-c:a', 'pcm_s32le');
    args.push('-f', 's32le', 'pipe:1');
    const rate = 384_000;
    const maxBytes = Math.ceil(seconds * rate * Math.max(1, channels) * 4);
    const { outputs } = await run(ffmpeg, args, [], maxBytes, timeoutMs);
    const bytes = outputs[0] ?? Buffer.alloc(0);
    return paddedBitDepth(bits, new Int32Array(aligned(bytes)));
  }
}

/** Where each slice starts: the whole file when it is short, else spread over its middle. */
export function sliceStarts(duration: number, count: number, seconds: number): number[] {
  if (duration <= count * seconds) return [0];
  return Array.from({ length: count }, (_, i) =>
    Math.max(0, Math.min(duration - seconds, (duration * (i + 1)) / (count + 1) - seconds / 2)),
  ).map((s) => Math.round(s * 1000) / 1000);
}

/** The spectrum's finding, or the bit-depth one when only that is suspect. */
function combine(cliff: Finding, padded: Finding): Finding {
  if (padded.verdict === 'suspect') return padded;
  return cliff;
}

/** The bytes, cut to whole 4-byte samples, in a buffer of their own (pooled Buffers may be unaligned). */
function aligned(bytes: Buffer): ArrayBuffer {
  const copy = new Uint8Array(bytes.length - (bytes.length % 4));
  copy.set(bytes.subarray(0, copy.length));
  return copy.buffer;
}

function unavailableMessage(error: unknown, ffmpeg: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `ffmpeg not found (${ffmpeg}): the transcode check is skipped`;
  return `ffmpeg does not run (${describe(error)}): the transcode check is skipped`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Runs ffmpeg and collects stdout and the extra pipes (one per `extraPipes` entry, fds 3, 4…),
 * each up to `maxBytes` (more kills it: a hostile file cannot make it decode without end), within
 * `timeoutMs`. Rejects on a non-zero exit with ffmpeg's first error line.
 */
function run(
  command: string,
  args: string[],
  extraPipes: unknown[],
  maxBytes: number,
  timeoutMs: number,
): Promise<{ outputs: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe', ...extraPipes.map(() => 'pipe' as const)],
    });
    const streams = [child.stdout, ...extraPipes.map((_, i) => child.stdio[i + 3] as Readable)];
    const chunks: Buffer[][] = streams.map(() => []);
    const sizes = streams.map(() => 0);
    let stderr = '';
    let failure: Error | null = null;
    const kill = (reason: string): void => {
      failure ??= new Error(reason);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`timed out after ${timeoutMs} ms`), timeoutMs);
    streams.forEach((stream, i) =>
      stream?.on('data', (chunk: Buffer) => {
        sizes[i] = (sizes[i] as number) + chunk.length;
        if ((sizes[i] as number) > maxBytes) return kill(`more than ${maxBytes} bytes of audio`);
        chunks[i]?.push(chunk);
      }),
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure) return reject(failure);
      if (code !== 0) {
        const line = stderr.split('\n').find((l) => l.trim() !== '') ?? `exit code ${code}`;
        return reject(new Error(line.trim().slice(0, 300)));
      }
      resolve({ outputs: chunks.map((c) => Buffer.concat(c)) });
    });
  });
}
