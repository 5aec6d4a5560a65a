import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { JobContext } from '../src/downloads/download.job.js';
import type { AttemptRow } from '../src/downloads/download.repository.js';
import { postProcessAndPlace } from '../src/downloads/post-process.step.js';
import { createTagger, tagWorkersFor, type Tagger } from '../src/library/tagging/tagger.js';
import type { TransferStatus } from '../src/providers/provider.js';
import { downloadRow } from '../test/helpers/factories.js';
import { makePinkFlac } from '../test/helpers/transcode-audio.js';

/**
 * Post-processing 200 FLAC files through the real path: post-process.step.ts with the real tag
 * worker (tags written, the cover embedded, each read back with music-metadata), placement by
 * move.ts, and a cover.jpg per album folder. 20 albums of 10 tracks, each a copy of one real
 * 30-second FLAC made by ffmpeg, each album folder with a real 600×600 JPEG as slskd leaves it
 * (and lists it: a finished transfer from the track's peer and remote folder, so it is the
 * attempt's own cover, post-process.cover.ts ownCovers).
 * Files `slots` at a time: 1 as one filing worker does, 2 as the default filing slots
 * (SOULSPOT_MAX_CONCURRENT_FILING=2) do, with as many tag workers as main.ts gives them. The
 * database writes around it (the recorded steps) go to memory: what is measured is the file work,
 * the figure issue 8 names. The tag workers start inside the measured time (at the first files),
 * as they do in a fresh server.
 */
export interface PostProcessFigure {
  /** Files post-processed at once (filing slots). */
  slots: number;
  files: number;
  seconds: number;
  filesPerSecond: number;
  /** CPU time of this process (the worker thread included) per file. */
  cpuMsPerFile: number;
  /** The tag worker's jobs, by kind: one pass per file when tags and cover are both on. */
  workerJobs: string;
}

const ALBUMS = 20;
const TRACKS = 10;

export async function postProcessFigure(slots = 1): Promise<PostProcessFigure> {
  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-bench-post-')));
  const real = createTagger({ workers: () => tagWorkersFor(slots) });
  const kinds = new Map<string, number>();
  const tagger: Tagger = {
    write: (job) => {
      kinds.set(job.kind, (kinds.get(job.kind) ?? 0) + 1);
      return real.write(job);
    },
    close: () => real.close(),
  };
  try {
    const downloads = path.join(dir, 'downloads');
    const library = path.join(dir, 'library');
    await mkdir(library, { recursive: true });
    const master = path.join(dir, 'master.flac');
    await makePinkFlac(master, { seconds: 30 });
    const cover = path.join(dir, 'cover.jpg');
    await promisify(execFile)('ffmpeg', [
      ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
      ...['-i', 'testsrc=s=600x600', '-frames:v', '1', '-q:v', '3', cover],
    ]);
    const started = Date.now() - 1000;
    const jobs: { ctx: JobContext; attempt: AttemptRow; source: string; segments: string[] }[] = [];
    // slskd's finished transfers (the album covers), and where each landed.
    const transfers: TransferStatus[] = [];
    const landed = new Map<string, string>();
    for (let a = 1; a <= ALBUMS; a++) {
      const folder = path.join(downloads, `Album ${a}`);
      await mkdir(folder, { recursive: true });
      for (let t = 1; t <= TRACKS; t++) {
        const source = path.join(folder, `${String(t).padStart(2, '0')} - Track ${t}.flac`);
        await copyFile(master, source);
        const row = downloadRow({
          artist: 'Bench Artist',
          title: `Track ${t}`,
          album: `Album ${a}`,
          album_artist: 'Bench Artist',
          track_number: t,
          track_total: TRACKS,
          disc_number: 1,
          year: 2001,
          genre: 'Noise',
        });
        const title = `${String(t).padStart(2, '0')} - Track ${t}.flac`;
        const attempt = {
          id: `${a}-${t}-attempt`,
          created_at: started,
          username: 'peer',
          filename: `@@p\\Music\\Album ${a}\\${title}`,
        } as AttemptRow;
        jobs.push({
          ctx: contextFor(row, library, tagger, transfers, landed),
          attempt,
          source,
          segments: ['Bench Artist', `Album ${a}`, title],
        });
      }
      const local = path.join(folder, 'cover.jpg');
      await copyFile(cover, local);
      const size = (await stat(local)).size;
      const remote = `@@p\\Music\\Album ${a}\\cover.jpg`;
      transfers.push({
        id: `cover-${a}`,
        username: 'peer',
        filename: remote,
        size,
        state: 'succeeded',
        raw: 'Completed, Succeeded',
        bytesTransferred: size,
        averageSpeed: 0,
        percentComplete: 100,
      });
      landed.set(remote, local);
    }
    const steps = { tag: true, cover: true, folderCover: true };
    const cpu = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    const slot = async (): Promise<void> => {
      for (let job = jobs[next++]; job; job = jobs[next++]) {
        const placed = await postProcessAndPlace(
          job.ctx,
          job.attempt,
          downloads,
          job.source,
          job.segments,
          steps,
        );
        if (!placed || placed === 'plain') throw new Error(`not post-processed: ${job.source}`);
        await stat(placed.path);
      }
    };
    await Promise.all(Array.from({ length: slots }, slot));
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      slots,
      files: jobs.length,
      seconds: Math.round(seconds * 100) / 100,
      filesPerSecond: Math.round((jobs.length / seconds) * 10) / 10,
      cpuMsPerFile: Math.round((used.user + used.system) / 1000 / jobs.length),
      workerJobs: [...kinds].map(([kind, n]) => `${n}× ${kind}`).join(', '),
    };
  } finally {
    await tagger.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What postProcessAndPlace reads of its job: the row, the library, the tagger, attempt writes,
 * and slskd's transfer list (which images are the attempt's own).
 */
function contextFor(
  row: ReturnType<typeof downloadRow>,
  libraryDir: string,
  tagger: Tagger,
  transfers: TransferStatus[],
  landed: ReadonlyMap<string, string>,
): JobContext {
  const fail = (code: string, message: string): Promise<void> =>
    Promise.reject(new Error(`${code}: ${message}`));
  return {
    row,
    signal: new AbortController().signal,
    deps: {
      config: { libraryDir },
      tagger,
      provider: {
        listTransfers: () => Promise.resolve(transfers),
        localPath: (t: TransferStatus) => Promise.resolve(landed.get(t.filename) ?? null),
      },
      now: () => Date.now(),
      log: { debug() {}, info() {}, warn() {}, error() {} },
      settings: { get: () => [] },
    },
    // The recorded step: memory is enough here (each file runs once, nothing resumes).
    updateAttempt: () => Promise.resolve(),
    confirmLease: () => Promise.resolve(),
    fail,
    resumeLater: fail,
  } as unknown as JobContext;
}
