import { parentPort } from 'node:worker_threads';
import { averageSpectrum, findCliff } from './spectrum.js';
import { checkFile, type DecodeConfig, type FileCheckResult } from './transcode-decode.js';

/**
 * The transcode check's worker entry (a worker thread started by transcode-pool.ts): one message
 * per file, one reply each. Everything the check does runs here: reading the header, spawning
 * ffmpeg (a fork, which blocks the thread that calls it for longer the more memory the process
 * holds) and the FFT averaging, hundreds of milliseconds of synchronous work for a high-rate file.
 */

export interface CheckRequest {
  id: number;
  file: string;
  cfg: DecodeConfig;
}

export type CheckReply =
  { id: number; ok: true; result: FileCheckResult } | { id: number; ok: false; message: string };

const port = parentPort;
if (!port) throw new Error('transcode.worker.ts runs as a worker thread only');

// Here blocking is the point: the analysis runs in one go.
const analyse = async (slices: Float32Array[], sampleRate: number) =>
  findCliff(averageSpectrum(slices, sampleRate));

port.on('message', (request: CheckRequest) => {
  void checkFile(request.file, request.cfg, analyse).then(
    (result) => port.postMessage({ id: request.id, ok: true, result } satisfies CheckReply),
    (error: unknown) =>
      port.postMessage({
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies CheckReply),
  );
});
