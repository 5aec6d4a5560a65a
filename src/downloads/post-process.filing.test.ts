// Post-processing inside filing, on a real database (both dialects), real files and the real tag
// worker: a database error after the tagged file is placed, and a resume from the recorded step.
import { randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, realpath, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { parseFile } from 'music-metadata';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createEventBus } from '../events/event-bus.js';
import { createEventLog } from '../events/event-log.js';
import { createTagger, TagWorkerError, type Tagger } from '../library/tagging/tagger.js';
import type { DownloadProvider, TransferStatus } from '../providers/provider.js';
import { createQueueRepository, type QueueRepository } from '../queue/queue.repository.js';
import { createSourceWaitRepository } from '../queue/source-wait.repository.js';
import { defaultSettings, type Settings } from '../settings/settings.definitions.js';
import { freshDb, testDialects, type TestDb } from '../../test/helpers/db.js';
import { makeImage } from '../../test/helpers/audio-formats.js';
import { downloadRow } from '../../test/helpers/factories.js';
import { filesUnder } from '../../test/helpers/files.js';
import { pipelineConfig, type PipelineDeps } from './download.job.js';
import { runDownload } from './download.pipeline.js';
import { createDownloadRepository, type DownloadRepository } from './download.repository.js';
import { createTransferMonitor } from './transfer-monitor.js';

const TONE = path.resolve(
  fileURLToPath(new URL('../../fixtures/audio/tone-a.flac', import.meta.url)),
);
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** The attempt's file at the peer; its folder's other files are `@@p\\Music\\Album\\<name>`. */
const REMOTE = '@@p\\Music\\Album\\01 - Tone A.flac';

/** A finished transfer of another file of a peer's folder, as slskd's list shows it. */
function doneTransfer(username: string, remote: string, size: number): TransferStatus {
  return {
    id: randomUUID(),
    username,
    filename: remote,
    size,
    state: 'succeeded',
    raw: 'Completed, Succeeded',
    bytesTransferred: size,
    averageSpeed: 0,
    percentComplete: 100,
  };
}

/**
 * slskd as filing sees it: the attempt's file at `source`, every other finished transfer in
 * `transfers` landed in the local folder `Album` (slskd names it after the peer's last folder).
 */
function fakeProvider(
  downloads: string,
  source: () => string,
  transfers: () => TransferStatus[] = () => [],
): DownloadProvider {
  const unused = () => Promise.reject(new Error('not used by filing'));
  return {
    name: 'slskd',
    health: () => Promise.resolve({ state: 'up' }),
    startSearch: unused,
    getSearch: unused,
    deleteSearch: unused,
    enqueue: unused,
    findEnqueued: unused,
    listTransfers: () => Promise.resolve(transfers()),
    cancel: unused,
    forget: () => Promise.resolve(),
    queuePosition: () => Promise.resolve(null),
    describeFailure: () => ({ code: 'unknown', message: '', daemonRestart: false, final: true }),
    localPath: (t) =>
      Promise.resolve(
        t.filename === REMOTE
          ? source()
          : path.join(downloads, 'Album', t.filename.split('\\').pop()!),
      ),
    downloadsRoot: () => Promise.resolve(downloads),
  };
}

const realTagger = createTagger();
afterAll(() => realTagger.close());

describe.each(testDialects())('post-processing in filing (%s)', (dialect) => {
  let db: TestDb;
  let work: string;
  let downloads: string;
  let library: string;
  let source: string;
  let repo: DownloadRepository;
  let queue: QueueRepository;
  let now: number;
  /** What the tag worker was asked to do, in order. */
  let jobs: string[];
  /** Tag jobs still to be lost as if the worker stalled (TagWorkerError). */
  let workerLosses: number;
  /** slskd's finished transfers besides the attempt's own (fakeProvider). */
  let transfers: TransferStatus[];
  /** An image in slskd's folder `Album`, recorded as a transfer of `username`'s `remoteFolder`. */
  const peerImage = async (
    name: string,
    color: string,
    username = 'peer',
    remoteFolder = '@@p\\Music\\Album',
  ): Promise<string> => {
    const file = path.join(downloads, 'Album', name);
    await makeImage(file, color);
    transfers.push(doneTransfer(username, `${remoteFolder}\\${name}`, (await stat(file)).size));
    return file;
  };
  const tagger: Tagger = {
    write: (job) => {
      jobs.push(job.kind);
      if (workerLosses > 0) {
        workerLosses--;
        return Promise.reject(new TagWorkerError('tagging took longer than 700 ms'));
      }
      return realTagger.write(job);
    },
    close: () => Promise.resolve(),
  };

  beforeEach(async () => {
    db = await freshDb(dialect);
    work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-postfile-')));
    downloads = path.join(work, 'downloads');
    library = path.join(work, 'library');
    await mkdir(path.join(downloads, 'Album'), { recursive: true });
    await mkdir(library);
    source = path.join(downloads, 'Album', '01 - Tone A.flac');
    await copyFile(TONE, source);
    repo = createDownloadRepository(db);
    queue = createQueueRepository(db);
    now = Date.now();
    jobs = [];
    workerLosses = 0;
    transfers = [];
  });
  afterEach(async () => {
    await db.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  async function processing(extra: Parameters<typeof downloadRow>[0] = {}): Promise<string> {
    const row = downloadRow({
      status: 'processing',
      artist: 'Tone',
      title: 'A',
      album: 'Tones',
      track_number: 1,
      track_total: 9,
      run_after: 0,
      ...extra,
    });
    const attemptId = randomUUID();
    await db.db.insertInto('downloads').values(row).execute();
    await repo.insertAttempt(
      {
        id: attemptId,
        download_id: row.id,
        round: 0,
        provider: 'slskd',
        username: 'peer',
        filename: REMOTE,
        size: (await stat(source)).size,
        extension: 'flac',
        batch_id: randomUUID(),
        transfer_id: null,
        state: 'succeeded',
        local_path: source,
        target_path: null,
        requeues: 0,
        created_at: now,
        updated_at: now,
      },
      db.db,
    );
    await db.db
      .updateTable('downloads')
      .set({ current_attempt_id: attemptId })
      .where('id', '=', row.id)
      .execute();
    return row.id;
  }

  function deps(switches: Partial<Settings>, handle: TestDb = db): PipelineDeps {
    const provider = fakeProvider(
      downloads,
      () => source,
      () => transfers,
    );
    const config = loadConfig({
      SOULSPOT_DATA_DIR: path.join(work, 'data'),
      SOULSPOT_LIBRARY_DIR: library,
      SOULSPOT_MIN_FREE_MB: '0',
      SOULSPOT_LOG_LEVEL: 'silent',
    });
    const settings = { ...defaultSettings(config), ...switches };
    return {
      config: pipelineConfig(config),
      settings: { get: (key) => settings[key] },
      handle,
      repo,
      queue,
      sourceWait: createSourceWaitRepository(db),
      provider,
      monitor: createTransferMonitor({ provider, pollIntervalMs: 1000 }),
      events: createEventLog({ handle: db, now: () => now, pollMs: 0 }),
      bus: createEventBus(),
      log: silent,
      now: () => now,
      deferMs: 1000,
      tagger,
    };
  }

  async function run(d: PipelineDeps, owner = 'worker-a'): Promise<void> {
    const lease = await queue.claimNext(owner, now, 30_000, 10, 'filing');
    if (!lease) throw new Error('nothing to claim');
    await runDownload(d, lease, new AbortController().signal);
  }

  const visible = () => filesUnder(library).filter((f) => !path.basename(f).startsWith('.'));

  it('a database error after the tagged file is placed: the next run adopts it by its digest', async () => {
    const id = await processing();
    // Every completion write fails in the first run (more than it retries), then none.
    if (dialect === 'postgres') {
      await sql`CREATE SEQUENCE completion_faults`.execute(db.db);
      await sql
        .raw(
          `CREATE FUNCTION fail_completion() RETURNS trigger AS $$ BEGIN
             IF NEW.status = 'completed' AND nextval('completion_faults') <= 6 THEN
               RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`,
        )
        .execute(db.db);
      await sql`CREATE TRIGGER fail_completion BEFORE UPDATE ON downloads FOR EACH ROW EXECUTE FUNCTION fail_completion()`.execute(
        db.db,
      );
    } else {
      await sql`CREATE TABLE completion_faults (n INTEGER NOT NULL)`.execute(db.db);
      await sql`INSERT INTO completion_faults VALUES (6)`.execute(db.db);
      await sql`CREATE TRIGGER fail_completion BEFORE UPDATE ON downloads
        WHEN NEW.status = 'completed' AND (SELECT n FROM completion_faults) > 0
        BEGIN SELECT RAISE(FAIL, 'injected fault'); END`.execute(db.db);
    }
    // SQLite rolls the count back with the write: count the failures outside the transaction.
    const counting: TestDb =
      dialect === 'sqlite'
        ? {
            ...db,
            writeTx: (fn) =>
              db.writeTx(fn).catch(async (error: unknown) => {
                if (String(error).includes('injected fault'))
                  await sql`UPDATE completion_faults SET n = n - 1`.execute(db.db);
                throw error;
              }),
          }
        : db;
    const d = deps({ tagFiles: true, embedCover: false, writeFolderCover: false }, counting);
    await run(d);
    const between = await repo.get(id);
    expect(between?.status).toBe('processing');
    const placed = visible();
    expect(placed).toHaveLength(1);
    expect((await parseFile(placed[0]!)).common.track).toEqual({ no: 1, of: 9 });
    expect(jobs).toEqual(['tags']);

    now += 2000;
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status).toBe('completed');
    expect(done?.library_path).toBe(placed[0]);
    expect(filesUnder(library), 'no " (2)", no working copy').toEqual(placed);
    // Adopted, not tagged and placed again.
    expect(jobs).toEqual(['tags']);
  });

  it('resumes at the recorded step: a cover that failed is retried without tagging again', async () => {
    const id = await processing();
    const d = deps({ tagFiles: true, embedCover: true, writeFolderCover: true });
    await db.db
      .updateTable('downloads')
      // Loopback, not allowed: refused before any request.
      .set({ cover_url: 'http://127.0.0.1:9/front.jpg' })
      .where('id', '=', id)
      .execute();
    await run(d);
    const failed = await repo.get(id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error_code).toBe('cover_failed');
    const attempt = await repo.getAttempt(failed!.current_attempt_id!);
    expect(attempt?.post_step).toBe('tagged');
    expect(jobs).toEqual(['tags']);
    expect(await readdir(path.join(downloads, 'Album'))).toEqual(['01 - Tone A.flac']);

    // The peer's folder has a cover after all (the URL fails again and falls back to it); the
    // retry moves the download back to filing as POST /retry does.
    await peerImage('cover.jpg', 'red');
    await repo.commandUpdate(id, ['failed'], {
      status: 'processing',
      error_code: null,
      error_message: null,
      run_after: now,
      updated_at: now,
    });
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect(jobs).toEqual(['tags', 'cover']);
    const meta = await parseFile(done!.library_path!);
    expect(meta.common.title).toBe('A');
    expect(meta.common.picture).toHaveLength(1);
    expect(
      visible()
        .map((f) => path.basename(f))
        .sort(),
    ).toEqual(['01 - A.flac', 'cover.jpg']);
    expect(filesUnder(library).filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
  });

  it('tags and cover both due: one pass of the worker, both read back, recorded as covered', async () => {
    await peerImage('cover.jpg', 'red');
    const id = await processing();
    await run(deps({ tagFiles: true, embedCover: true, writeFolderCover: true }));
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect(jobs).toEqual(['tags+cover']);
    const meta = await parseFile(done!.library_path!);
    expect(meta.common.title).toBe('A');
    expect(meta.common.album).toBe('Tones');
    expect(meta.common.track).toEqual({ no: 1, of: 9 });
    expect(meta.common.picture).toHaveLength(1);
    expect(meta.common.picture![0]!.format).toBe('image/jpeg');
    const attempt = await repo.getAttempt(done!.current_attempt_id!);
    expect(attempt?.post_step).toBe('covered');
    expect(
      visible()
        .map((f) => path.basename(f))
        .sort(),
    ).toEqual(['01 - A.flac', 'cover.jpg']);
    // No working copy, no staged temp file left in the library.
    expect(filesUnder(library).filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
  });

  it('the one pass lost midway (its staged copy half done): the next run starts over and leaves no temp file', async () => {
    await peerImage('cover.jpg', 'red');
    const id = await processing();
    const d = deps({ tagFiles: true, embedCover: true, writeFolderCover: false });
    workerLosses = 1;
    await run(d);
    const waiting = await repo.get(id);
    expect(waiting?.status).toBe('processing');
    expect(waiting?.error_code).toBe('tagging_failed');
    expect((await repo.getAttempt(waiting!.current_attempt_id!))?.post_step).toBeNull();
    expect(filesUnder(library)).toEqual([]);
    expect(await readdir(path.join(downloads, 'Album'))).toContain('01 - Tone A.flac');

    now = waiting!.run_after;
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect(jobs).toEqual(['tags+cover', 'tags+cover']);
    const meta = await parseFile(done!.library_path!);
    expect(meta.common.title).toBe('A');
    expect(meta.common.picture).toHaveLength(1);
    expect(filesUnder(library)).toEqual([done!.library_path]);
  });

  it('a working copy tagged before a crash (post_step tagged): the run embeds the cover alone, the tags kept', async () => {
    // The first run is stopped between the steps: the cover fails (no URL answers), tags recorded.
    const id = await processing({ cover_url: 'http://127.0.0.1:9/front.jpg' });
    const d = deps({ tagFiles: true, embedCover: true, writeFolderCover: false });
    await run(d);
    const between = await repo.get(id);
    expect((await repo.getAttempt(between!.current_attempt_id!))?.post_step).toBe('tagged');
    expect(jobs).toEqual(['tags']);
    // Resumed with a cover to hand: only the cover step runs, on the tagged working copy.
    await peerImage('cover.jpg', 'blue');
    await repo.commandUpdate(id, ['failed'], {
      status: 'processing',
      error_code: null,
      error_message: null,
      run_after: now,
      updated_at: now,
    });
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect(jobs).toEqual(['tags', 'cover']);
    const meta = await parseFile(done!.library_path!);
    expect(meta.common.track).toEqual({ no: 1, of: 9 });
    expect(meta.common.picture).toHaveLength(1);
  });

  it('a lost tag worker is transient: still processing, a retry used, filed on the next run', async () => {
    const id = await processing();
    const d = deps({ tagFiles: true, embedCover: false, writeFolderCover: false });
    workerLosses = 1;
    await run(d);
    const waiting = await repo.get(id);
    expect(waiting?.status).toBe('processing');
    expect(waiting?.error_code).toBe('tagging_failed');
    expect(waiting?.retry_count).toBe(1);
    expect(waiting?.current_attempt_id).not.toBeNull();
    expect(waiting!.run_after).toBeGreaterThan(now);
    expect(filesUnder(library)).toEqual([]); // no working copy left behind

    now = waiting!.run_after;
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect(done?.error_code).toBeNull();
    expect(jobs).toEqual(['tags', 'tags']);
  });

  it('a cover URL that fails again after a retry, with no local image: filed without it, and said so', async () => {
    const id = await processing({ cover_url: 'http://127.0.0.1:9/front.jpg' });
    const d = deps({ tagFiles: true, embedCover: true, writeFolderCover: true });
    await run(d);
    const failed = await repo.get(id);
    expect(failed?.error_code).toBe('cover_failed');
    await repo.commandUpdate(id, ['failed'], {
      status: 'processing',
      error_code: null,
      error_message: null,
      run_after: now,
      updated_at: now,
    });
    await run(d, 'worker-b');
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect((await parseFile(done!.library_path!)).common.picture ?? []).toEqual([]);
    const attempt = await repo.getAttempt(done!.current_attempt_id!);
    expect(attempt?.error_message).toMatch(/^Filed without a cover: .*again, after a retry/);
    expect(visible().map((f) => path.basename(f))).toEqual(['01 - A.flac']);
  });

  it('a year 0 stored before the API refused it is left out of the tags, not a tagging failure', async () => {
    const id = await processing({ year: 0 });
    await run(deps({ tagFiles: true, embedCover: false, writeFolderCover: false }));
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    const c = (await parseFile(done!.library_path!)).common;
    expect(c.title).toBe('A');
    expect(c.year).toBeUndefined();
  });

  it("an image in slskd's shared folder from another peer's download, written just now, is not embedded nor the album's cover", async () => {
    // slskd names the folder after the peer's last folder ("Album", "CD1"): another peer's
    // download (its peer chose what to send) put this image there while this attempt ran.
    await peerImage('cover.jpg', 'red', 'stranger', '@@s\\Other\\Album');
    // An image of the same name from this peer, but another of its folders: not this album's.
    await peerImage('folder.png', 'blue', 'peer', '@@p\\Music\\Other Album');
    const id = await processing();
    await run(deps({ tagFiles: true, embedCover: true, writeFolderCover: true }));
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect((await parseFile(done!.library_path!)).common.picture ?? []).toEqual([]);
    expect(visible().map((f) => path.basename(f))).toEqual(['01 - A.flac']);
    expect(jobs).toEqual(['tags']);
  });

  it("an image from the attempt's own peer folder is embedded however old, unless it was replaced since", async () => {
    // Downloaded from the same folder of the same peer an hour before this attempt began: its
    // timestamp says nothing about whose it is, slskd's transfer record does.
    const own = await peerImage('cover.jpg', 'red');
    const hourAgo = new Date(now - 3_600_000);
    await utimes(own, hourAgo, hourAgo);
    const id = await processing();
    await run(deps({ tagFiles: true, embedCover: true, writeFolderCover: false }));
    const done = await repo.get(id);
    expect(done?.status, done?.error_message ?? '').toBe('completed');
    expect((await parseFile(done!.library_path!)).common.picture).toHaveLength(1);

    // The same name, overwritten since by other bytes (another download of the same name): the
    // size slskd recorded no longer matches, so it is not taken.
    await copyFile(TONE, source); // filing removed slskd's copy
    const second = await processing({ title: 'B' });
    await makeImage(own, 'green', 64);
    await run(deps({ tagFiles: true, embedCover: true, writeFolderCover: false }));
    const other = await repo.get(second);
    expect(other?.status, other?.error_message ?? '').toBe('completed');
    expect((await parseFile(other!.library_path!)).common.picture ?? []).toEqual([]);
  });

  it('filed as the plain copy (tags and cover off): the folder cover comes after the track', async () => {
    await peerImage('cover.jpg', 'red');
    const album = path.join(library, 'Tone', 'Tones');
    await mkdir(album, { recursive: true });
    const seen: string[] = [];
    const watcher = watch(album, (_event, name) => {
      if (name && !name.startsWith('.') && !seen.includes(name)) seen.push(name);
    });
    try {
      const id = await processing();
      await run(deps({ tagFiles: false, embedCover: false, writeFolderCover: true }));
      const done = await repo.get(id);
      expect(done?.status, done?.error_message ?? '').toBe('completed');
      await new Promise((r) => setTimeout(r, 100)); // the last events
    } finally {
      watcher.close();
    }
    expect(seen).toEqual(['01 - A.flac', 'cover.jpg']);
    expect(jobs).toEqual([]);
  });
});
