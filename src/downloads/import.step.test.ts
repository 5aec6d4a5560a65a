// Filing on a real database (both dialects) and real files: the pipeline's processing step when the
// database fails after the file is placed, when a cancel lands during placement or during the copy,
// when the lease is taken over, and when slskd's recorded path lies outside the downloads folder.
import { randomUUID } from 'node:crypto';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  stat,
  watch,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createEventBus } from '../events/event-bus.js';
import { createEventLog } from '../events/event-log.js';
import type { DownloadProvider } from '../providers/provider.js';
import {
  createQueueRepository,
  type Lease,
  type QueueRepository,
} from '../queue/queue.repository.js';
import { freshDb, testDialects, type TestDb } from '../../test/helpers/db.js';
import { downloadRow } from '../../test/helpers/factories.js';
import { filesUnder, sha } from '../../test/helpers/files.js';
import { makeNoise } from '../../test/helpers/audio.js';
import { ACTIVE_STATUSES } from './download.js';
import { createSourceWaitRepository } from '../queue/source-wait.repository.js';
import { defaultSettings } from '../settings/settings.definitions.js';
import { pipelineConfig, type PipelineDeps } from './download.job.js';
import { runDownload } from './download.pipeline.js';
import { createDownloadRepository, type DownloadRepository } from './download.repository.js';
import { createTransferMonitor } from './transfer-monitor.js';
import { ProviderError } from '../providers/provider.js';
import type { Candidate } from '../providers/release.js';
import { followAlbumRelease, lackingReleases } from './album-release.js';

const TONE = path.resolve(
  fileURLToPath(new URL('../../fixtures/audio/tone-a.flac', import.meta.url)),
);
const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** Only what filing asks of the daemon adapter; the rest is never called here. */
function fakeProvider(
  downloads: string,
  localPath: () => string | null | Promise<string | null>,
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
    listTransfers: () => Promise.resolve([]),
    cancel: unused,
    forget: () => Promise.resolve(),
    queuePosition: () => Promise.resolve(null),
    describeFailure: () => ({ code: 'unknown', message: '', daemonRestart: false, final: true }),
    localPath: () => Promise.resolve().then(localPath),
    downloadsRoot: () => Promise.resolve(downloads),
  };
}

describe.each(testDialects())('filing (%s)', (dialect) => {
  let db: TestDb;
  let work: string;
  let downloads: string;
  let library: string;
  let source: string;
  let repo: DownloadRepository;
  let queue: QueueRepository;
  let now: number;

  beforeEach(async () => {
    db = await freshDb(dialect);
    work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-filing-')));
    downloads = path.join(work, 'downloads');
    library = path.join(work, 'library');
    await mkdir(path.join(downloads, 'Album'), { recursive: true });
    await mkdir(library);
    source = path.join(downloads, 'Album', '01 - Tone A.flac');
    await copyFile(TONE, source);
    repo = createDownloadRepository(db);
    queue = createQueueRepository(db);
    now = Date.now();
  });
  afterEach(async () => {
    await db.cleanup();
    await rm(work, { recursive: true, force: true });
  });

  /** A download in `processing` with a succeeded attempt whose file slskd left at `local`. */
  async function processing(local: string = source): Promise<string> {
    const row = downloadRow({ status: 'processing', artist: 'Tone', title: 'A', run_after: 0 });
    const attemptId = randomUUID();
    await db.db.insertInto('downloads').values(row).execute();
    await repo.insertAttempt(
      {
        id: attemptId,
        download_id: row.id,
        round: 0,
        provider: 'slskd',
        username: 'peer',
        filename: '@@p\\Music\\Album\\01 - Tone A.flac',
        size: (await stat(local)).size,
        extension: 'flac',
        batch_id: randomUUID(),
        transfer_id: null,
        state: 'succeeded',
        local_path: local,
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

  function deps(overrides: Partial<PipelineDeps> = {}): PipelineDeps {
    const provider = fakeProvider(downloads, () => source);
    const config = loadConfig({
      SOULSPOT_DATA_DIR: path.join(work, 'data'),
      SOULSPOT_LIBRARY_DIR: library,
      SOULSPOT_MIN_FREE_MB: '0',
      SOULSPOT_LEASE_SECONDS: '30',
      SOULSPOT_LOG_LEVEL: 'silent',
    });
    const settings = defaultSettings(config);
    return {
      config: pipelineConfig(config),
      settings: { get: (key) => settings[key] },
      handle: countingFaults(db),
      repo,
      queue,
      sourceWait: createSourceWaitRepository(db),
      provider,
      monitor: createTransferMonitor({ provider, pollIntervalMs: 1000 }),
      // Not started: appends go into the table, nobody tails it here.
      events: createEventLog({ handle: db, now: () => now, pollMs: 0 }),
      bus: createEventBus(),
      log: silent,
      now: () => now,
      deferMs: 1000,
      ...overrides,
    };
  }

  async function claim(owner = 'worker-a'): Promise<Lease> {
    const lease = await queue.claimNext(owner, now, 30_000, 10, 'filing');
    if (!lease) throw new Error('nothing to claim');
    return lease;
  }

  /** The cancel command as downloads.service.ts issues it (bumps the token) plus the runner's abort. */
  async function cancel(id: string, controller: AbortController): Promise<void> {
    await repo.commandUpdate(id, ACTIVE_STATUSES, {
      status: 'cancelled',
      error_code: 'cancelled',
      error_message: 'Cancelled by the user',
      updated_at: now,
    });
    controller.abort(new Error('cancelled'));
  }

  /** Real faults from the database itself: the next `n` writes that complete a download fail. */
  async function failCompletions(n: number): Promise<void> {
    if (dialect === 'postgres') {
      // A sequence is outside the transaction, so the count survives the failed statements.
      await sql`CREATE SEQUENCE completion_faults`.execute(db.db);
      await sql
        .raw(
          `CREATE FUNCTION fail_completion() RETURNS trigger AS $$ BEGIN
             IF NEW.status = 'completed' AND nextval('completion_faults') <= ${n} THEN
               RAISE EXCEPTION 'injected fault: the database dropped the write';
             END IF;
             RETURN NEW; END $$ LANGUAGE plpgsql`,
        )
        .execute(db.db);
      await sql`CREATE TRIGGER fail_completion BEFORE UPDATE ON downloads FOR EACH ROW EXECUTE FUNCTION fail_completion()`.execute(
        db.db,
      );
      return;
    }
    await sql`CREATE TABLE completion_faults (n INTEGER NOT NULL)`.execute(db.db);
    await sql`INSERT INTO completion_faults VALUES (${n})`.execute(db.db);
    // The completion is written in a transaction with its event, and SQLite has nothing outside
    // a transaction that a trigger could count in: countingFaults counts after the rollback.
    await sql`CREATE TRIGGER fail_completion BEFORE UPDATE ON downloads
      WHEN NEW.status = 'completed' AND (SELECT n FROM completion_faults) > 0
      BEGIN
        SELECT RAISE(FAIL, 'injected fault: the database dropped the write');
      END`.execute(db.db);
  }

  /** SQLite: each transaction the injected fault rolled back uses up one of the faults. */
  function countingFaults(handle: TestDb): TestDb {
    if (dialect !== 'sqlite') return handle;
    return {
      ...handle,
      writeTx: (fn) =>
        handle.writeTx(fn).catch(async (error: unknown) => {
          if (String(error).includes('injected fault'))
            await sql`UPDATE completion_faults SET n = n - 1`.execute(handle.db);
          throw error;
        }),
    };
  }

  it('a database error after the file is placed: the next run records that very file', async () => {
    const id = await processing();
    // More failures than one run retries: the first run must hand the download back, not retry it.
    await failCompletions(6);
    const statuses: string[] = [];
    const d = deps();
    d.bus.on('download.updated', (x) => statuses.push(x.status));
    await runDownload(d, await claim(), new AbortController().signal);

    const between = await repo.get(id);
    expect(between?.status, 'still filing, not a fresh search').toBe('processing');
    expect(between?.lease_owner).toBeNull();
    const placed = filesUnder(library);
    expect(placed).toHaveLength(1);
    expect(sha(placed[0] as string)).toBe(sha(TONE));

    now += 2000; // past the hand-back's run_after
    await runDownload(d, await claim('worker-b'), new AbortController().signal);
    const done = await repo.get(id);
    expect(done?.status).toBe('completed');
    expect(done?.library_path).toBe(placed[0]);
    expect(filesUnder(library), 'no " (2)"').toEqual(placed);
    expect(statuses).not.toContain('waiting');
    expect(statuses).not.toContain('searching');
    // Two runs, six failed completion writes (rolled back with their events): completed once.
    const logged = await db.db
      .selectFrom('events')
      .select(['type', 'payload'])
      .where('type', 'in', ['download.completed', 'download.failed'])
      .orderBy('id')
      .execute();
    expect(logged.map((e) => [e.type, (JSON.parse(e.payload) as { id: string }).id])).toEqual([
      ['download.completed', id],
    ]);
    // Recorded: slskd's copy goes.
    expect(filesUnder(downloads)).toEqual([]);
  });

  it('a cancel that lands while the file is placed: the placed file wins, recorded', async () => {
    const id = await processing();
    const controller = new AbortController();
    const lease = await claim();
    // The lease check before placing passes, then the cancel lands before the file gets its name.
    const racing: QueueRepository = {
      ...queue,
      confirm: async (l, t, ms) => {
        const ok = await queue.confirm(l, t, ms);
        await cancel(id, controller);
        return ok;
      },
    };
    await runDownload(deps({ queue: racing }), lease, controller.signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('completed');
    const placed = filesUnder(library);
    expect(placed).toHaveLength(1);
    expect(row?.library_path).toBe(placed[0]);
    expect(filesUnder(downloads)).toEqual([]);
  });

  it('a cancel during the copy: nothing is placed, the download stays cancelled', async () => {
    // A file of several chunks, so the abort lands between them.
    source = path.join(downloads, 'Album', 'noise.flac');
    await makeNoise(source, 40);
    const id = await processing(source);
    const controller = new AbortController();
    const album = path.join(library, 'Tone', 'Unknown Album');
    await mkdir(album, { recursive: true });
    const watcher = watch(album);
    const cancelled = (async () => {
      for await (const change of watcher) {
        if (change.filename?.endsWith('.part')) return cancel(id, controller);
      }
    })();
    await runDownload(deps(), await claim(), controller.signal);
    await cancelled;
    expect((await repo.get(id))?.status).toBe('cancelled');
    expect(filesUnder(library), 'no file and no temp file').toEqual([]);
    // slskd's copy stays for the sweep (a recorded file of a finished download).
    expect(filesUnder(downloads)).toContain(source);
  });

  it('a worker whose lease was taken over before placing places nothing; the new owner files once', async () => {
    const id = await processing();
    const stale = await claim('worker-a');
    let taken: Lease | null = null;
    const overtaken: QueueRepository = {
      ...queue,
      confirm: async (l, t, ms) => {
        // Paused past its lease: another process claims the download first.
        await db.db
          .updateTable('downloads')
          .set({ lease_expires_at: 0 })
          .where('id', '=', id)
          .execute();
        taken = await queue.claimNext('worker-b', now, 30_000, 10, 'filing');
        return queue.confirm(l, t, ms);
      },
    };
    await runDownload(deps({ queue: overtaken }), stale, new AbortController().signal);
    expect(filesUnder(library)).toEqual([]);
    expect(taken).not.toBeNull();
    await runDownload(deps(), taken as unknown as Lease, new AbortController().signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('completed');
    expect(filesUnder(library)).toEqual([row?.library_path]);
  });

  it('a stale owner that placed the file before losing the lease: the new owner adopts it, no " (2)"', async () => {
    const id = await processing();
    const stale = await claim('worker-a');
    let taken: Lease | null = null;
    const overtaken: QueueRepository = {
      ...queue,
      confirm: async (l, t, ms) => {
        const ok = await queue.confirm(l, t, ms);
        // Overtaken right after its check: it places the file, then cannot record it.
        await db.db
          .updateTable('downloads')
          .set({ lease_expires_at: 0 })
          .where('id', '=', id)
          .execute();
        taken = await queue.claimNext('worker-b', now, 30_000, 10, 'filing');
        return ok;
      },
    };
    await runDownload(deps({ queue: overtaken }), stale, new AbortController().signal);
    const placed = filesUnder(library);
    expect(placed, 'left for the owner that follows the download').toHaveLength(1);
    expect((await repo.get(id))?.status).toBe('processing');
    // The stale owner did not remove slskd's copy: the new owner still needs it.
    expect(filesUnder(downloads)).toEqual([source]);

    await runDownload(deps(), taken as unknown as Lease, new AbortController().signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('completed');
    expect(row?.library_path).toBe(placed[0]);
    expect(filesUnder(library)).toEqual(placed);
  });

  it("a client that keeps its files (a seeding torrent): filed by copy, the client's file stays", async () => {
    const id = await processing();
    const original = await readFile(source);
    const keeper = { ...fakeProvider(downloads, () => source), keepsFiles: true };
    await runDownload(deps({ provider: keeper }), await claim(), new AbortController().signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('completed');
    expect(filesUnder(library)).toEqual([row?.library_path]);
    // Still there, byte for byte, for the client to go on seeding; the library has its own copy.
    expect(filesUnder(downloads)).toEqual([source]);
    expect(await readFile(source)).toEqual(original);
    expect(sha(row!.library_path!)).toBe(sha(source));
    expect((await stat(row!.library_path!)).ino).not.toBe((await stat(source)).ino);
  });

  it('a client that does not keep its files: its copy is removed once filed', async () => {
    const id = await processing();
    await runDownload(deps(), await claim(), new AbortController().signal);
    expect((await repo.get(id))?.status).toBe('completed');
    expect(filesUnder(downloads)).toEqual([]);
  });

  it('files by the naming pattern in force when it files (a live setting)', async () => {
    const id = await processing();
    const base = deps();
    let pattern = '{Album Artist Name}/{Album Title}/{track:00} - {Track Title}';
    const d = deps({
      settings: { get: (key) => (key === 'namingPattern' ? pattern : base.settings.get(key)) },
    } as Partial<PipelineDeps>);
    // Changed after the pipeline was built: filing must read it then, not keep a copy.
    pattern = '{Genre}/{Artist Name} - {Track Title} ({Release Year})';
    await runDownload(d, await claim(), new AbortController().signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('completed');
    // No genre and no year: the folder and the brackets are left out.
    expect(row?.library_path).toBe(path.join(library, 'Tone - A.flac'));
    expect(filesUnder(library)).toEqual([path.join(library, 'Tone - A.flac')]);
  });

  it('refuses a recorded local path outside the downloads folder and leaves that file alone', async () => {
    const victim = path.join(work, 'precious.flac');
    await copyFile(TONE, victim);
    await writeFile(path.join(work, 'marker'), 'x');
    const before = await stat(victim);
    const id = await processing(victim);
    await runDownload(deps(), await claim(), new AbortController().signal);
    const row = await repo.get(id);
    expect(row?.status).toBe('failed');
    expect(row?.error_code).toBe('file_not_found');
    expect(row?.error_message).toMatch(/outside the downloads folder/);
    expect(await readFile(victim)).toEqual(await readFile(TONE));
    expect((await stat(victim)).mtimeMs).toBe(before.mtimeMs);
    expect(filesUnder(library)).toEqual([]);
  });

  /** A release attempt (an archived NZB, say) that succeeded, its file not located yet. */
  async function releaseProcessing(title: string, guid: string): Promise<string> {
    const id = await processing();
    await db.db
      .updateTable('attempts')
      .set({
        local_path: null,
        filename: title,
        username: 'indexer',
        release: JSON.stringify({ protocol: 'usenet', indexer: 'indexer', guid, title }),
      })
      .where('download_id', '=', id)
      .execute();
    return id;
  }

  it.each(['track_not_in_release', 'invalid_file'] as const)(
    'a release whose file cannot be located (%s): the attempt fails as the source, the next candidate goes',
    async (code) => {
      const candidate = (guid: string): { candidate: Candidate } => ({
        candidate: {
          provider: 'slskd',
          username: 'indexer',
          filename: title,
          size: 1,
          extension: 'flac',
          hasFreeUploadSlot: true,
          queueLength: 0,
          uploadSpeed: 0,
          release: {
            protocol: 'usenet',
            indexer: 'indexer',
            guid,
            title,
            link: 'http://x',
            size: 1,
            categories: [],
          },
        },
      });
      const title = 'Tone - Album (2024) [FLAC]';
      const next = 'Tone - Album (2024) [FLAC] repack';
      const id = await releaseProcessing(title, 'guid-1');
      // The ranking the attempt came from: this release, then another one.
      const ranked = [title, next].map((t, i) => ({
        ...candidate(i === 0 ? 'guid-1' : 'guid-next'),
        score: 100 - i,
        notes: [],
        candidate: { ...candidate(i === 0 ? 'guid-1' : 'guid-next').candidate, filename: t },
      }));
      await db.db
        .updateTable('downloads')
        .set({ candidates: JSON.stringify({ query: 'q', ranked, rejected: [] }) })
        .where('id', '=', id)
        .execute();
      const seen: { code: string | null; outcome: string }[] = [];
      const enqueued: string[] = [];
      const client = fakeProvider(downloads, () => {
        throw new ProviderError(code, 'the unpacked job holds no such track', undefined, 'slskd');
      });
      const controller = new AbortController();
      const d = deps({
        provider: {
          ...client,
          enqueue: (request) => {
            enqueued.push(request.filename);
            // Enough to see which source went next: the claim stops here.
            controller.abort(new Error('seen'));
            return Promise.reject(new Error('stopped'));
          },
        },
      });
      d.bus.on('attempt.finished', (e) => seen.push({ code: e.errorCode, outcome: e.outcome }));
      await runDownload(d, await claim(), new AbortController().signal);

      const row = await repo.get(id);
      // Back to the search pool for the next candidate: not failed, not a retry round.
      expect(row?.status).not.toBe('failed');
      expect(row?.status).not.toBe('processing');
      expect(row?.retry_count).toBe(0);
      const [attempt] = await repo.attemptsFor([id]);
      expect(attempt).toMatchObject({ state: 'failed', error_code: code });
      expect(seen).toEqual([{ code, outcome: 'failed' }]);
      // The next claim starts the next candidate, not that release again.
      const lease = await queue.claimNext('worker-b', now, 30_000, 10, 'transfer');
      expect(lease).not.toBeNull();
      await runDownload(d, lease!, controller.signal);
      expect(enqueued).toEqual([next]);

      // The next round of this download drops that release, and keeps another of the same title.
      const own = await repo.attemptsFor([id]);
      const lacking = lackingReleases(own);
      if (code === 'track_not_in_release') {
        const choice = followAlbumRelease([candidate('guid-1'), candidate('guid-2')], [], lacking);
        expect(choice.dropped.map((e) => e.candidate.release?.guid)).toEqual(['guid-1']);
        expect(choice.ranked.map((e) => e.candidate.release?.guid)).toEqual(['guid-2']);
      } else expect(lacking.size).toBe(0);
    },
  );
});
