import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTranscodeChecker } from '../src/library/transcode-check.js';
import { makeMp3Transcode, makePinkFlac } from '../test/helpers/transcode-audio.js';

/**
 * `npm run bench library`: the library's per-file costs. So far the fake-lossless check of one
 * 3-minute stereo-sourced FLAC (44.1 kHz, 16 bit): ffmpeg decodes 3 × 10 s to mono float, the FFT
 * averages ~600 windows. Needs ffmpeg (it makes the files, and the check runs it).
 */
export interface LibraryFigure {
  figure: string;
  files: number;
  'p50 ms': number;
  'p95 ms': number;
  'max ms': number;
  result: string;
}

const RUNS = 10;

export async function libraryBench(): Promise<LibraryFigure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-bench-library-'));
  try {
    const real = path.join(dir, 'real.flac');
    const fake = path.join(dir, 'fake.flac');
    await makePinkFlac(real, { seconds: 180 });
    await makeMp3Transcode(real, fake, 128);
    const checker = createTranscodeChecker();
    await checker.availability();
    const figures: LibraryFigure[] = [];
    for (const [name, file] of [
      ['transcode check per file (real FLAC)', real],
      ['transcode check per file (MP3 128 → FLAC)', fake],
    ] as const) {
      const times: number[] = [];
      let verdict = '';
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        const result = await checker.check(file);
        times.push(performance.now() - start);
        verdict =
          result.status === 'checked'
            ? `${result.verdict}${result.cutoffHz ? ` at ${result.cutoffHz} Hz` : ''}`
            : `skipped: ${result.reason}`;
      }
      times.sort((a, b) => a - b);
      const at = (q: number) =>
        Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] as number);
      figures.push({
        figure: name,
        files: RUNS,
        'p50 ms': at(0.5),
        'p95 ms': at(0.95),
        'max ms': Math.round(times.at(-1) as number),
        result: verdict,
      });
    }
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
