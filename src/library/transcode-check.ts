import { run, unavailableMessage, type FileCheckResult } from './transcode-decode.js';
import { createTranscodePool, type TranscodePool } from './transcode-pool.js';

/**
 * The fake-lossless check (the service; transcode-decode.ts decodes and judges one file, the
 * analysis is spectrum.ts). Each file is checked whole on a worker thread (transcode-pool.ts), so
 * neither ffmpeg's spawn nor the FFT averaging (~440 ms for a 192 kHz file) blocks the server.
 *
 * A file ffmpeg cannot decode in full is `invalid` (the source fails with `invalid_file`, whatever
 * `transcodeAction` says). Without ffmpeg (and only then) nothing is claimed: the result is
 * `skipped` with the reason, `/api/health` says the check is unavailable, and the download records
 * `transcodeCheck: "skipped"`.
 */

export type TranscodeCheckResult = FileCheckResult;

export interface TranscodeAvailability {
  available: boolean;
  /** ffmpeg's version line when available, else why not. */
  message: string;
}

export interface TranscodeChecker {
  /** Whether ffmpeg runs here (probed once a minute at most). */
  availability(): Promise<TranscodeAvailability>;
  check(file: string): Promise<TranscodeCheckResult>;
  /** Stops the check's worker thread (at shutdown). */
  close(): Promise<void>;
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
  /** Where files are checked; default a worker thread with its event-loop fallback. */
  pool?: TranscodePool;
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
  const cfg = {
    ffmpeg: options.ffmpegPath ?? 'ffmpeg',
    sliceCount: options.slices ?? 3,
    sliceSeconds: options.sliceSeconds ?? 10,
    timeoutMs: options.timeoutMs ?? 30_000,
  };
  const pool = options.pool ?? createTranscodePool();
  let probe: { at: number; result: Promise<TranscodeAvailability> } | null = null;

  const availability = (): Promise<TranscodeAvailability> => {
    const now = Date.now();
    if (!probe || now - probe.at > PROBE_TTL_MS) {
      probe = {
        at: now,
        result: run(cfg.ffmpeg, ['-hide_banner', '-version'], [], 8192, 10_000, false).then(
          ({ outputs }) => ({
            available: true,
            message: outputs[0]?.toString('utf8').split('\n')[0]?.trim() || 'ffmpeg',
          }),
          (error: unknown) => ({
            available: false,
            message: unavailableMessage(error, cfg.ffmpeg),
          }),
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
      const { result } = await pool.check(file, cfg);
      // ffmpeg would not start after the probe said it would (removed or broken meanwhile): the
      // next probe runs at once, so /api/health says so.
      if (result.status === 'skipped') probe = null;
      return result;
    },
    close: () => pool.close(),
  };
}
