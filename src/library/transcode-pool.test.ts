import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePinkFlac } from '../../test/helpers/transcode-audio.js';
import { averageSpectrum, findCliff } from './spectrum.js';
import type { DecodeConfig } from './transcode-decode.js';
import { analyseInSteps, createTranscodePool } from './transcode-pool.js';

const CFG: DecodeConfig = { ffmpeg: 'ffmpeg', sliceCount: 3, sliceSeconds: 10, timeoutMs: 30_000 };

/** The longest the event loop went without running a 1 ms timer while `work` ran. */
async function longestStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let last = performance.now();
  let stallMs = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stallMs = Math.max(stallMs, now - last);
    last = now;
  }, 1);
  try {
    last = performance.now();
    const result = await work();
    stallMs = Math.max(stallMs, performance.now() - last);
    return { result, stallMs };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The least of three runs' longest stalls: on a loaded machine the OS may take the CPU from a busy
 * thread for tens of ms at any moment, once; a step of the check that blocks for 50 ms blocks in
 * every run.
 */
async function leastStall<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number }> {
  let best: { result: T; stallMs: number } | null = null;
  for (let i = 0; i < 3; i++) {
    const run = await longestStall(work);
    if (!best || run.stallMs < best.stallMs) best = run;
  }
  return best as { result: T; stallMs: number };
}

/** 3 × 10 s of white noise at 192 kHz, as a 60 s 192 kHz file is decoded. */
function noise(): Float32Array[] {
  let s = 7;
  return [0, 1, 2].map(() =>
    Float32Array.from({ length: 10 * 192_000 }, () => {
      s = (s * 1_664_525 + 1_013_904_223) >>> 0;
      return (s / 2 ** 32 - 0.5) * 0.5;
    }),
  );
}

describe('transcode check off the event loop (60 s, 192 kHz, 24 bit)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-transcode-pool-'));
  const hires = path.join(dir, 'hires.flac');
  const pool = createTranscodePool();
  let expected: unknown;
  beforeAll(async () => {
    await makePinkFlac(hires, { seconds: 60, sampleRate: 192_000, bits: 24 });
    expected = (await createTranscodePool({ useWorker: false }).check(hires, CFG)).result;
  }, 60_000);
  afterAll(async () => {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('blocks the event loop for long when the FFT runs in one go (what the worker is for)', async () => {
    const slices = noise();
    const { stallMs } = await longestStall(async () => findCliff(averageSpectrum(slices, 192_000)));
    expect(stallMs).toBeGreaterThan(100);
  });

  it('checks on the worker thread, same result, the event loop never stalled 50 ms', async () => {
    expect(expected).toMatchObject({ status: 'checked', verdict: 'clean' });
    await pool.check(hires, CFG); // the worker's start-up is not the measure
    const { result, stallMs } = await leastStall(() => pool.check(hires, CFG));
    expect(result).toEqual({ result: expected, ranOn: 'worker' });
    expect(stallMs).toBeLessThan(50);
  });

  it('falls back to the event loop when the worker dies, with the same result', async () => {
    const entry = path.join(dir, 'dies.mjs');
    writeFileSync(entry, "throw new Error('no worker here');\n");
    const dying = createTranscodePool({ workerEntry: pathToFileURL(entry) });
    try {
      expect(await dying.check(hires, CFG)).toEqual({ result: expected, ranOn: 'event-loop' });
    } finally {
      await dying.close();
    }
  });

  it('runs the fallback FFT in steps: no 50 ms stall from the analysis', async () => {
    // The analysis alone: the fallback's spawns block as they always did (a fork, its cost grows
    // with the process's memory and the machine's load), the ~440 ms FFT must not.
    const slices = noise();
    const whole = findCliff(averageSpectrum(slices, 192_000));
    await analyseInSteps(slices, 192_000); // once warm: the first windows run before the JIT compiles
    const { result, stallMs } = await leastStall(() => analyseInSteps(slices, 192_000));
    expect(result).toEqual(whole);
    expect(stallMs).toBeLessThan(50);
  });
});

describe('transcode worker in the compiled layout', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-transcode-build-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts transcode.worker.js next to transcode-pool.js, as dist/ has them', async () => {
    // What `npm run build` emits for these files (tsc), beside the real node_modules.
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const name of [
      'spectrum',
      'transcode-decode',
      'transcode.worker',
      'transcode-pool',
      'worker-thread',
    ]) {
      const source = readFileSync(path.join(here, `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        fileName: `${name}.ts`,
      });
      writeFileSync(path.join(dir, `${name}.js`), outputText);
    }
    writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    symlinkSync(path.resolve(here, '../../node_modules'), path.join(dir, 'node_modules'));
    await makePinkFlac(path.join(dir, 'pink.flac'), { seconds: 4 });
    const script = `
      import { analyseInSteps, createTranscodePool } from './transcode-pool.js';
      const pool = createTranscodePool();
      const cfg = ${JSON.stringify(CFG)};
      const r = await pool.check('pink.flac', cfg);
      console.log(JSON.stringify({ ranOn: r.ranOn, status: r.result.status, verdict: r.result.verdict }));
      await pool.close();`;
    writeFileSync(path.join(dir, 'run.mjs'), script);
    const { stdout } = await promisify(execFile)(process.execPath, ['run.mjs'], { cwd: dir });
    expect(JSON.parse(stdout)).toEqual({ ranOn: 'worker', status: 'checked', verdict: 'clean' });
  });
});
