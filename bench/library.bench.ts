import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTranscodeChecker } from '../src/library/transcode-check.js';
import { DEFAULT_RULES } from '../src/matching/quality-profile-builtins.js';
import {
  rankWithProfile,
  type ProfileRankingResult,
} from '../src/matching/quality-profile-ranking.js';
import { MAX_REJECTED_KEPT } from '../src/downloads/search.step.js';
import type { Candidate } from '../src/providers/provider.js';
import { rankingResults } from './ranking-results.js';
import { makeMp3Transcode, makePinkFlac } from '../test/helpers/transcode-audio.js';

/**
 * `npm run bench library`: the library's per-file costs. The fake-lossless check of one
 * 3-minute FLAC (44.1 kHz, 16 bit) and of a 60 s 192 kHz 24-bit one: ffmpeg decodes 3 × 10 s to
 * mono float, the FFT averages ~600 windows on the worker thread. "stall" is, per run, the longest
 * the event loop went without running a 1 ms timer (target < 50 ms): what is left on it is mostly
 * spawning ffmpeg twice (a fork, its cost grows with the process's memory). Needs ffmpeg (it
 * makes the files, and the check runs it). And the ranking of one request's 25,000 search
 * results (slskd's default limit; target p50 and p99 under 50 ms).
 */
export interface LibraryFigure {
  figure: string;
  files: number;
  'p50 ms': number;
  'p95 ms': number;
  'max ms': number;
  'stall p50 ms': number;
  'stall max ms': number;
  result: string;
}

const RUNS = 10;

export async function libraryBench(): Promise<LibraryFigure[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-bench-library-'));
  try {
    const real = path.join(dir, 'real.flac');
    const fake = path.join(dir, 'fake.flac');
    const hires = path.join(dir, 'hires.flac');
    await makePinkFlac(real, { seconds: 180 });
    await makeMp3Transcode(real, fake, 128);
    await makePinkFlac(hires, { seconds: 60, sampleRate: 192_000, bits: 24 });
    const checker = createTranscodeChecker();
    await checker.availability();
    const figures: LibraryFigure[] = [];
    for (const [name, file] of [
      ['transcode check per file (real FLAC)', real],
      ['transcode check per file (MP3 128 → FLAC)', fake],
      ['transcode check per file (60 s 192 kHz 24-bit)', hires],
    ] as const) {
      const times: number[] = [];
      const stalls: number[] = [];
      let verdict = '';
      let last = performance.now();
      let stall = 0;
      const probe = setInterval(() => {
        const now = performance.now();
        stall = Math.max(stall, now - last);
        last = now;
      }, 1);
      for (let i = 0; i < RUNS; i++) {
        const start = performance.now();
        last = start;
        stall = 0;
        const result = await checker.check(file);
        times.push(performance.now() - start);
        stalls.push(Math.max(stall, performance.now() - last));
        verdict =
          result.status === 'checked'
            ? `${result.verdict}${result.cutoffHz ? ` at ${result.cutoffHz} Hz` : ''}`
            : `skipped: ${result.reason}`;
      }
      clearInterval(probe);
      times.sort((a, b) => a - b);
      stalls.sort((a, b) => a - b);
      const at = (q: number, of = times) =>
        Math.round(of[Math.min(of.length - 1, Math.floor(q * of.length))] as number);
      figures.push({
        figure: name,
        files: RUNS,
        'p50 ms': at(0.5),
        'p95 ms': at(0.95),
        'max ms': Math.round(times.at(-1) as number),
        'stall p50 ms': at(0.5, stalls),
        'stall max ms': Math.round(stalls.at(-1) as number),
        result: verdict,
      });
    }
    await checker.close();
    figures.push(...rankingFigures());
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const RANK_RUNS = 50;

/**
 * Ranking 25,000 results for one request, with the default profile, a blocklist and peer records:
 * as the search step ranks them (only the 200 rejections it stores put in order), and with every
 * rejection ordered. "cpu" is the process's CPU time per ranking (user + system), which other
 * processes on a loaded machine inflate far less than the wall-clock figures.
 */
export function rankingFigures(): LibraryFigure[] {
  // Through JSON, as they arrive from slskd: flat strings, not the concatenations the generator makes.
  const results = JSON.parse(JSON.stringify(rankingResults())) as Candidate[];
  const target = {
    artist: 'Radiohead',
    title: 'Karma Police',
    album: 'OK Computer',
    durationSeconds: 264,
  };
  const options = {
    isBlocked: (c: { username: string }) => c.username === 'peer13',
    peerRecord: (u: string) => (u.endsWith('7') ? { successes: 3, failures: 1 } : undefined),
  };
  return [
    rankingFigure('rank 25,000 search results for one request (as the search step)', () =>
      rankWithProfile(target, results, DEFAULT_RULES, {
        ...options,
        keepRejected: MAX_REJECTED_KEPT,
      }),
    ),
    rankingFigure('rank 25,000 search results, every rejection ordered', () =>
      rankWithProfile(target, results, DEFAULT_RULES, options),
    ),
  ];
}

function rankingFigure(figure: string, rank: () => ProfileRankingResult): LibraryFigure {
  let result = rank();
  // Warm-up: the first runs compile the regular expressions and optimize the hot loops.
  for (let i = 0; i < 5; i++) rank();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < RANK_RUNS; i++) {
    const start = performance.now();
    const used = process.cpuUsage();
    result = rank();
    const spent = process.cpuUsage(used);
    times.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const at = (q: number, of = times) =>
    Math.round(of[Math.min(of.length - 1, Math.floor(q * of.length))] as number);
  return {
    figure,
    files: result.ranked.length + result.rejectedTotal,
    'p50 ms': at(0.5),
    'p95 ms': at(0.95),
    'max ms': Math.round(times.at(-1) as number),
    // The ranking runs on the event loop, synchronously: it stalls the loop for as long as it takes.
    'stall p50 ms': at(0.5),
    'stall max ms': Math.round(times.at(-1) as number),
    result: `p99 ${at(0.99)} ms, cpu p50 ${at(0.5, cpu)} ms; ${result.ranked.length} ranked, ${result.rejectedTotal} rejected`,
  };
}
