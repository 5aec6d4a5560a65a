import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { paddedBitDepth, type Finding } from './spectrum.js';

/**
 * The I/O half of the fake-lossless check on one file (transcode-check.ts is the service; the
 * analysis is spectrum.ts): ffmpeg decodes a few slices of the file to mono 32-bit float PCM (and,
 * for files deeper than 16 bit, one slice to 32-bit integers at native depth), and the pure
 * analysis judges them. Memory is bounded by the slices (3 × 10 s of mono float at 44.1 kHz is
 * 5 MB), time by a timeout per ffmpeg run. It runs whole on the check's worker thread
 * (transcode-pool.ts): parsing, spawning ffmpeg (a fork, whose cost grows with the process's
 * memory) and the FFT all stay off the server's event loop.
 *
 * Decoding is also the last verification: ffmpeg resyncs past damage and exits 0, so a file whose
 * middle is noise "decodes" to a fraction of its samples. Every slice must come back with at least
 * `MIN_DECODED_SHARE` of the samples asked for and without an error line from ffmpeg, else the
 * result is `invalid` (the source fails with `invalid_file`), as is a decode that times out or
 * runs past its byte cap: a file that did not decode is never filed. Failing to start ffmpeg at
 * all is `skipped`: ffmpeg is missing, not the file broken.
 */

/** What the check of one file needs (plain data: it is posted to the worker). */
export interface DecodeConfig {
  ffmpeg: string;
  /** Slices decoded from several parts of the file … */
  sliceCount: number;
  /** … of this many seconds each. */
  sliceSeconds: number;
  /** Each ffmpeg run is killed after this long. */
  timeoutMs: number;
}

/** The spectrum finding for decoded slices (which are handed over). */
export type Analyse = (slices: Float32Array[], sampleRate: number) => Promise<Finding>;

export type FileCheckResult =
  | ({ status: 'checked' } & Finding)
  | { status: 'skipped'; reason: string }
  | { status: 'invalid'; reason: string };

/**
 * A slice must decode to at least this share of the samples asked for. Seeking and the container's
 * declared duration are exact to a frame or two for the formats checked here (< 1 %), so 90 %
 * leaves room for them and still catches a file that is damaged over a tenth of a slice.
 */
export const MIN_DECODED_SHARE = 0.9;

/** The file is not audio ffmpeg can decode in full (damaged, hostile, or too slow to decode). */
class UndecodableError extends Error {}

/** Checks one file: the finding, `invalid` when it does not decode, `skipped` when ffmpeg will not start. */
export async function checkFile(
  file: string,
  cfg: DecodeConfig,
  analyse: Analyse,
): Promise<FileCheckResult> {
  try {
    return { status: 'checked', ...(await checkDecoded(file, cfg, analyse)) };
  } catch (error) {
    if (error instanceof UndecodableError) return { status: 'invalid', reason: error.message };
    if ((error as NodeJS.ErrnoException).code) {
      return { status: 'skipped', reason: unavailableMessage(error, cfg.ffmpeg) };
    }
    throw error;
  }
}

async function checkDecoded(file: string, cfg: DecodeConfig, analyse: Analyse): Promise<Finding> {
  const { ffmpeg, sliceCount, sliceSeconds, timeoutMs } = cfg;
  // Loaded at the first check, not at start: the server keeps it out of memory until then.
  const { parseFile } = await import('music-metadata');
  let format;
  try {
    ({ format } = await parseFile(file, { duration: false, skipCovers: true }));
  } catch (error) {
    throw new UndecodableError(`not readable as audio: ${describe(error)}`);
  }
  const sampleRate = format.sampleRate ?? 0;
  if (sampleRate <= 0) throw new UndecodableError('the file names no sample rate');
  // Unknown (a FLAC written without its sample count): the first slices' worth from the start,
  // checked for errors but not for length.
  const duration = format.duration ?? 0;
  const known = duration > 0;
  const starts = known ? sliceStarts(duration, sliceCount, sliceSeconds) : [0];
  const length = !known
    ? sliceCount * sliceSeconds
    : duration <= sliceCount * sliceSeconds
      ? duration
      : sliceSeconds;
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin'];
  for (const start of starts) args.push('-ss', String(start), '-t', String(length), '-i', file);
  // One output per slice, each to a pipe of its own (fd 1, 3, 4…): slices joined in one
  // stream would put a click at each seam, broadband energy right where a cliff is looked for.
  starts.forEach((_, i) =>
    args.push('-map', `${i}:a:0`, '-ac', '1', '-f', 'f32le', `pipe:${i === 0 ? 1 : i + 2}`),
  );
  const maxBytes = Math.ceil(length * sampleRate * 1.05 + sampleRate) * 4;
  const { outputs } = await run(ffmpeg, args, starts.slice(1), maxBytes, timeoutMs, true);
  const slices = outputs.map((b) => new Float32Array(b.buffer, 0, Math.floor(b.length / 4)));
  const decoded = slices.map((slice) => slice.length);
  const short = shortSlice(decoded, starts, length, known ? duration : null, sampleRate);
  if (short) throw new UndecodableError(short);
  const finding = await analyse(slices, sampleRate);
  const bits = format.bitsPerSample ?? 0;
  if (bits <= 16 || finding.verdict === 'suspect') return finding;
  const seconds = known ? Math.min(5, duration) : 5;
  const start = known ? Math.max(0, duration / 2 - seconds / 2) : 0;
  const padded = await bitDepthCheck(cfg, file, bits, start, seconds, format.numberOfChannels ?? 2);
  return combine(finding, padded);
}

/** Five seconds (from the middle when the length is known) at native depth, every channel. */
async function bitDepthCheck(
  cfg: DecodeConfig,
  file: string,
  bits: number,
  start: number,
  seconds: number,
  channels: number,
): Promise<Finding> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-ss', String(start)];
  args.push('-t', String(seconds), '-i', file, '-map', '0:a:0', '-c:a', 'pcm_s32le');
  args.push('-f', 's32le', 'pipe:1');
  const rate = 384_000;
  const maxBytes = Math.ceil(seconds * rate * Math.max(1, channels) * 4);
  const { outputs } = await run(cfg.ffmpeg, args, [], maxBytes, cfg.timeoutMs, true);
  const bytes = outputs[0] ?? Buffer.alloc(0);
  return paddedBitDepth(bits, new Int32Array(bytes.buffer, 0, Math.floor(bytes.length / 4)));
}

/**
 * Why the decoded slices fall short of what was asked for, or null when each holds at least
 * `MIN_DECODED_SHARE` of its samples (`decoded[i]` samples from `starts[i]`, `length` seconds
 * asked; `duration` null when the file does not say, then only "something decoded" is asked).
 */
export function shortSlice(
  decoded: readonly number[],
  starts: readonly number[],
  length: number,
  duration: number | null,
  sampleRate: number,
): string | null {
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i] as number;
    const got = decoded[i] ?? 0;
    const expected = duration === null ? 1 : Math.min(length, duration - from) * sampleRate;
    if (got < expected * MIN_DECODED_SHARE) {
      return `only ${got} of ${Math.round(expected)} samples decode from ${Math.round(from)} s on`;
    }
  }
  return null;
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

export function unavailableMessage(error: unknown, ffmpeg: string): string {
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
 * `timeoutMs`. A kill, a non-zero exit and — with `decoding` — any line on stderr (the runs use
 * `-loglevel error`, so a line is a decode error ffmpeg resynced past) reject with an
 * UndecodableError naming it; failing to start at all rejects with the spawn error (errno code).
 *
 * Each output is collected into one buffer of `maxBytes` allocated up front (its pages are only
 * touched as audio arrives), chunk by chunk: joining the chunks at the end was a copy of the whole
 * output in one go, ~20–40 ms of the event loop for 3 × 10 s at 192 kHz. Each output is a Buffer
 * at offset 0 of an ArrayBuffer of its own, so the samples can be viewed in place and transferred.
 */
export function run(
  command: string,
  args: string[],
  extraPipes: unknown[],
  maxBytes: number,
  timeoutMs: number,
  decoding: boolean,
): Promise<{ outputs: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe', ...extraPipes.map(() => 'pipe' as const)],
    });
    const streams = [child.stdout, ...extraPipes.map((_, i) => child.stdio[i + 3] as Readable)];
    const stores = streams.map(() => Buffer.allocUnsafeSlow(maxBytes));
    const sizes = streams.map(() => 0);
    let stderr = '';
    let failure: Error | null = null;
    const kill = (reason: string): void => {
      failure ??= new UndecodableError(reason);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => kill(`ffmpeg did not finish decoding it within ${timeoutMs} ms`),
      timeoutMs,
    );
    streams.forEach((stream, i) =>
      stream?.on('data', (chunk: Buffer) => {
        const at = sizes[i] as number;
        if (failure) return;
        if (at + chunk.length > maxBytes) {
          return kill(`it decodes to more than ${maxBytes} bytes of audio, more than it declares`);
        }
        chunk.copy(stores[i] as Buffer, at);
        sizes[i] = at + chunk.length;
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
      const line = stderr
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim()
        .slice(0, 300);
      if (code !== 0) {
        const message = line ?? `exit code ${code}`;
        if (!decoding) return reject(new Error(message));
        return reject(new UndecodableError(`ffmpeg could not decode it: ${message}`));
      }
      if (decoding && line !== undefined) {
        return reject(new UndecodableError(`ffmpeg reports a decode error: ${line}`));
      }
      resolve({ outputs: stores.map((b, i) => b.subarray(0, sizes[i])) });
    });
  });
}
