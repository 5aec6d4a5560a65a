// Download simulation. Each transfer walks slskd's real lifecycle — "Queued, Locally" → "Requested" →
// "Queued, Remotely" → "Initializing" → "InProgress" → "Completed, …" — driven by the peer's behaviour,
// streams real bytes into a partial file at the peer's upload speed, then moves the file into the
// downloads directory and raises the same events slskd does.
import { open, mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from './context.js';
import {
  destinationDir,
  incompletePath,
  moveIntoPlace,
  remoteSegments,
  safeSegment,
} from './files.js';
import { ApiError, newGuid, now } from './format.js';
import { notePeaks } from './peaks.js';
import type { PeerFile, ResolvedBehaviour } from './peers.js';
import type { BatchRecord, TransferRecord, TransferState } from './state.js';
import { addEvent, isCompleted, remoteDirectory, transferJson } from './state.js';

/** Local bookkeeping steps (queue → request, initializing) take a few ms in slskd too. */
const STEP_MS = 5;
/** One round trip to the peer (request → its answer). */
const PEER_RTT_MS = 10;
/** Cancelling is asynchronous in slskd: the Cancelled state lands shortly after the DELETE. */
const CANCEL_LAG_MS = 15;

interface Sim {
  abort: AbortController;
  /** Set while "Queued, Remotely", for /position. */
  queuedAt?: number;
}

type Outcome = 'done' | 'retry';

/**
 * How long until the next chunk: a tick, or less when the rest of the file arrives sooner. A real
 * transfer is a stream; its last bytes land when the speed says, not at the next tick, and a
 * client that predicts the end from bytes and speed (as SoulSpot's transfer monitor does) would
 * otherwise be up to a tick early every time.
 */
function tickFor(t: TransferRecord, b: ResolvedBehaviour, tickMs: number): number {
  const rest = Math.max(0, t.size - t.bytesTransferred);
  if (b.stallAfterBytes !== undefined && t.bytesTransferred >= b.stallAfterBytes) return tickMs;
  return Math.min(tickMs, Math.max(1, Math.ceil((rest * 1000) / Math.max(1, b.uploadSpeed))));
}

const basenameOf = (t: TransferRecord): string => remoteSegments(t.filename).at(-1) ?? '_';

export class TransferEngine {
  private readonly sims = new Map<string, Sim>();
  /** (username, filename) → newest transfer id, for the duplicate/supersede rule. */
  private readonly latest = new Map<string, string>();

  constructor(private readonly ctx: Context) {}

  /** Creates records for each file; an active duplicate is skipped, a completed one superseded. */
  enqueue(
    username: string,
    files: { filename: string; size: number }[],
    batch?: BatchRecord,
  ): { enqueued: TransferRecord[]; failures: { filename: string; message: string }[] } {
    const { store } = this.ctx;
    const enqueued: TransferRecord[] = [];
    const failures: { filename: string; message: string }[] = [];
    for (const file of files) {
      const key = `${username}\n${file.filename}`;
      const previous = store.transfers.get(this.latest.get(key) ?? '');
      if (previous && !isCompleted(previous)) {
        failures.push({ filename: file.filename, message: 'Skipped: Already in progress' });
        continue;
      }
      const error = this.ctx.peers.behaviour(username).enqueueError;
      if (error !== undefined) {
        // slskd's per-file catch: the file fails with the exception text and no record stays.
        failures.push({ filename: file.filename, message: `Error: ${error}` });
        continue;
      }
      if (previous) previous.removed = true;
      const t: TransferRecord = {
        id: newGuid(),
        batchId: batch?.id,
        username,
        filename: file.filename,
        size: file.size,
        state: 'Queued, Locally',
        requestedAt: now(),
        bytesTransferred: 0,
        averageSpeed: 0,
        attempts: 1,
        removed: false,
      };
      store.transfers.set(t.id, t);
      this.latest.set(key, t.id);
      batch?.transferIds.push(t.id);
      this.ctx.enqueues.push({
        username,
        filename: file.filename,
        batchId: batch?.id,
        transferId: t.id,
        at: Date.now(),
      });
      enqueued.push(t);
      notePeaks(this.ctx.peaks, store, username);
      if (this.ctx.landing.extraEvents) this.staleEvent(t);
      const sim: Sim = { abort: new AbortController() };
      this.sims.set(t.id, sim);
      void this.run(t, sim);
    }
    return { enqueued, failures };
  }

  private finish(t: TransferRecord, state: TransferState, exception?: string): void {
    t.state = state;
    t.exception = exception;
    t.endedAt = now();
  }

  private async run(t: TransferRecord, sim: Sim): Promise<void> {
    const { signal } = sim.abort;
    const retry = this.ctx.options.retry;
    try {
      while ((await this.attempt(t, sim, signal)) === 'retry') {
        // slskd 0.26 saves the failure first, then flips the record back (§5.4 "retry flips").
        await sleep(Math.min(retry.maxDelayMs, retry.delayMs * 2 ** (t.attempts - 1)), undefined, {
          signal,
        });
        Object.assign(t, { state: 'Queued, Locally', attempts: t.attempts + 1, averageSpeed: 0 });
        t.exception = t.startedAt = t.endedAt = undefined;
        notePeaks(this.ctx.peaks, this.ctx.store, t.username);
      }
    } catch (error) {
      if (!signal.aborted) this.finish(t, 'Completed, Errored', (error as Error).message);
    } finally {
      if (this.sims.get(t.id) === sim) this.sims.delete(t.id);
    }
  }

  private fail(t: TransferRecord, state: TransferState, exception: string): Outcome {
    this.finish(t, state, exception);
    const retryable = state === 'Completed, Errored' || state === 'Completed, TimedOut';
    return retryable && this.ctx.features.retries && t.attempts < this.ctx.options.retry.attempts
      ? 'retry'
      : 'done';
  }

  private async attempt(t: TransferRecord, sim: Sim, signal: AbortSignal): Promise<Outcome> {
    const { peers, options } = this.ctx;
    await sleep(STEP_MS, undefined, { signal });
    t.state = 'Requested';
    await sleep(PEER_RTT_MS, undefined, { signal });
    const peer = peers.get(t.username);
    if (!peer || peer.behaviour.offline) {
      return this.fail(t, 'Completed, Errored', `User ${t.username} appears to be offline`);
    }
    if (t.attempts === 1 && !(await this.queueRequestAnswered(t, signal))) return 'done';
    const file = peer.files.get(t.filename);
    if (!file) return this.fail(t, 'Completed, Rejected', 'Transfer rejected: File not shared.');
    const reject = peers.behaviour(t.username).reject;
    if (reject) return this.fail(t, 'Completed, Rejected', `Transfer rejected: ${reject}`);

    // The peer queues the upload; shown for an instant even when it can start at once.
    t.state = 'Queued, Remotely';
    t.enqueuedAt ??= now();
    sim.queuedAt = now();
    await sleep(STEP_MS, undefined, { signal });
    for (;;) {
      const b = peers.behaviour(t.username);
      // A later denial carries only the reason (UploadDenied while remotely queued).
      if (b.reject) return this.fail(t, 'Completed, Rejected', b.reject);
      if (!b.stuckInQueue && now() - sim.queuedAt >= b.remoteQueueMs) break;
      await sleep(options.tickMs, undefined, { signal });
    }
    sim.queuedAt = undefined;

    t.state = 'Initializing';
    notePeaks(this.ctx.peaks, this.ctx.store, t.username);
    await sleep(STEP_MS, undefined, { signal });
    if (file.size !== t.size) {
      return this.fail(
        t,
        'Completed, Aborted',
        `Transfer aborted: the remote size of ${file.size} does not match expected size ${t.size}`,
      );
    }
    return this.stream(t, file, signal);
  }

  /**
   * slskd waits at most its hard limit for a new transfer to be queued by the peer, then fails it
   * "Completed, TimedOut". That wait belongs to the enqueue, not to the download's retry loop, so
   * 0.26 does not retry it (and only the first attempt has it).
   */
  private async queueRequestAnswered(t: TransferRecord, signal: AbortSignal): Promise<boolean> {
    const { peers, options } = this.ctx;
    const since = now();
    while (peers.behaviour(t.username).ignoreQueueRequest) {
      if (now() - since >= options.enqueueHardLimitMs) {
        const secs = options.enqueueHardLimitMs / 1000;
        this.finish(
          t,
          'Completed, TimedOut',
          `Download failed to enqueue remotely after hard time limit of ${secs} secs`,
        );
        return false;
      }
      await sleep(options.tickMs, undefined, { signal });
    }
    return true;
  }

  /** Copies bytes from the real file into the partial file, one tick's worth of upload speed at a time. */
  private async stream(t: TransferRecord, file: PeerFile, signal: AbortSignal): Promise<Outcome> {
    const { options, features, peers } = this.ctx;
    const partial = incompletePath(
      options.incompleteDir,
      t.username,
      t.filename,
      features.incompleteByUser,
    );
    await mkdir(path.dirname(partial), { recursive: true });
    // 0.26 resumes an existing partial file (retry.partial: resume); older versions start over.
    const existing = await stat(partial).then(
      (s) => s.size,
      () => 0,
    );
    const offset = features.retries && existing <= t.size ? existing : 0;
    const source = await open(file.sim.localPath, 'r');
    const target = await open(partial, offset > 0 ? 'a' : 'w').catch(async (error: unknown) => {
      await source.close();
      throw error;
    });
    try {
      if (signal.aborted) return 'done';
      t.state = 'InProgress';
      t.startedAt = now();
      t.bytesTransferred = offset;
      let last = t.startedAt;
      let movedAt = t.startedAt;
      let sent = 0; // this attempt
      while (t.bytesTransferred < t.size) {
        await sleep(tickFor(t, peers.behaviour(t.username), options.tickMs), undefined, { signal });
        const b = peers.behaviour(t.username);
        if (b.offline) return this.fail(t, 'Completed, Errored', 'Remote connection closed');
        const at = now();
        let goal = Math.min(
          t.size,
          t.bytesTransferred + Math.floor((b.uploadSpeed * (at - last)) / 1000),
        );
        last = at;
        if (b.stallAfterBytes !== undefined) {
          goal = Math.max(t.bytesTransferred, Math.min(goal, b.stallAfterBytes));
        }
        const failAfter = file.sim.failAfterBytes ?? b.failAfterBytes;
        const failing = failAfter !== undefined && sent + goal - t.bytesTransferred >= failAfter;
        if (failing) goal = t.bytesTransferred + Math.max(0, failAfter - sent);
        const count = goal - t.bytesTransferred;
        if (count > 0) {
          // Bytes past the real end (a peer advertising a bigger size) arrive as zeros.
          const chunk = Buffer.alloc(count);
          await source.read(chunk, 0, count, t.bytesTransferred);
          await target.write(chunk);
          if (signal.aborted) return 'done';
          sent += count;
          t.bytesTransferred = goal;
          movedAt = at;
        } else if (at - movedAt >= options.inactivityTimeoutMs) {
          // Soulseek.NET drops a transfer connection that carries nothing for this long.
          return this.fail(
            t,
            'Completed, TimedOut',
            `Inactivity timeout of ${options.inactivityTimeoutMs} milliseconds was reached`,
          );
        }
        t.averageSpeed = sent / Math.max(0.001, (at - t.startedAt) / 1000);
        if (failing) {
          return this.fail(t, 'Completed, Errored', 'Download reported as failed by remote client');
        }
      }
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
    this.finish(t, 'Completed, Succeeded');
    // As in slskd, the state says Succeeded a while before the file is in place and the event fires.
    await this.deliver(t, partial, signal);
    return 'done';
  }

  private async deliver(t: TransferRecord, partial: string, signal: AbortSignal): Promise<void> {
    const { store, options, features, landing, peers } = this.ctx;
    if (landing.moveDelayMs) await sleep(landing.moveDelayMs, undefined, { signal });
    const batch = t.batchId === undefined ? undefined : store.batches.get(t.batchId);
    const dir = destinationDir(
      options.downloadsDir,
      features.batches ? batch?.destination : undefined,
      {
        username: t.username,
        remotePath: t.filename,
        batchId: batch?.id,
        searchId: batch?.searchId,
        searchText: batch?.searchId ? store.searches.get(batch.searchId)?.searchText : undefined,
      },
    );
    const basename = safeSegment(basenameOf(t));
    const landed = await moveIntoPlace(partial, dir, basename, options.incompleteDir, {
      crossDeviceBytesPerSecond: landing.crossDeviceMove?.bytesPerSecond,
      signal,
    });
    // A hostile slskd may report any path; the file itself is where the rule put it.
    const localFilename =
      peers.get(t.username)?.files.get(t.filename)?.sim.localFilename ??
      peers.behaviour(t.username).localFilename ??
      landed;
    addEvent(store, 'DownloadFileComplete', {
      localFilename,
      remoteFilename: t.filename,
      transfer: transferJson(t, features, true),
    });
    if (landing.extraEvents) this.uploadNoise(t);
    // slskd's heuristic: no other active download from this user in the same remote directory.
    const remoteDir = remoteDirectory(t.filename);
    const siblingActive = [...this.sims.keys()].some((id) => {
      const o = store.transfers.get(id);
      return (
        o !== undefined &&
        o !== t &&
        o.username === t.username &&
        !isCompleted(o) &&
        remoteDirectory(o.filename) === remoteDir
      );
    });
    if (!siblingActive) {
      addEvent(store, 'DownloadDirectoryComplete', {
        localDirectoryName: path.resolve(dir),
        remoteDirectoryName: remoteDir,
        username: t.username,
      });
    }
  }

  /** An upload finished meanwhile (slskd shares too): an event that is not a download's. */
  private uploadNoise(t: TransferRecord): void {
    addEvent(this.ctx.store, 'UploadFileComplete', {
      localFilename: path.join(this.ctx.options.downloadsDir, 'shared', path.basename(t.filename)),
      remoteFilename: t.filename,
      transfer: { ...transferJson(t, this.ctx.features, true), id: newGuid(), direction: 'Upload' },
    });
  }

  /**
   * An earlier, finished transfer of the same remote file, logged before this one: its
   * `localFilename` names another file (a zero-filled decoy of the same size, written here), and
   * only the newest event is this one's. A client that takes the older record files the decoy.
   */
  private staleEvent(t: TransferRecord): void {
    const earlier: TransferRecord = {
      ...t,
      id: newGuid(),
      state: 'Completed, Succeeded',
      bytesTransferred: t.size,
      endedAt: now(),
    };
    const decoy = path.join(this.ctx.options.downloadsDir, 'earlier', safeSegment(basenameOf(t)));
    void mkdir(path.dirname(decoy), { recursive: true })
      .then(() => writeFile(decoy, Buffer.alloc(t.size)))
      .catch(() => undefined);
    addEvent(this.ctx.store, 'DownloadFileComplete', {
      localFilename: decoy,
      remoteFilename: t.filename,
      transfer: transferJson(earlier, this.ctx.features, true),
    });
    this.uploadNoise(t);
  }

  /** The peer's answer to GET …/position (also saved to placeInQueue, as slskd does). */
  position(t: TransferRecord): number {
    const sim = this.sims.get(t.id);
    if (!sim || isCompleted(t)) {
      throw new ApiError(500, `A download of ${t.filename} from user ${t.username} is not active`);
    }
    if (!this.ctx.peers.isOnline(t.username)) {
      throw new ApiError(500, `User ${t.username} appears to be offline`);
    }
    let place = 0;
    if (sim.queuedAt !== undefined) {
      const b = this.ctx.peers.behaviour(t.username);
      // The queue ahead shrinks linearly while remoteQueueMs counts down; a stuck peer never moves.
      const ahead = Math.max(1, b.queueLength || Math.ceil(b.remoteQueueMs / 1000));
      const remaining = b.remoteQueueMs - (now() - sim.queuedAt);
      place = b.stuckInQueue
        ? ahead
        : b.remoteQueueMs > 0
          ? Math.max(1, Math.ceil((ahead * Math.max(0, remaining)) / b.remoteQueueMs))
          : 0;
    }
    t.placeInQueue = place;
    return place;
  }

  /** DELETE …/{id}?remove=: cancel an active transfer; remove only a completed one. */
  cancel(id: string, remove: boolean): void {
    const t = this.ctx.store.transfers.get(id);
    if (!t) return; // slskd answers 204 for unknown ids
    const sim = this.sims.get(id);
    if (!isCompleted(t) || sim) {
      const { username, filename } = t;
      this.ctx.cancels.push({ transferId: id, username, filename, remove, at: Date.now() });
    }
    sim?.abort.abort(); // also stops a pending retry of a completed record
    this.sims.delete(id);
    if (isCompleted(t)) {
      if (remove) t.removed = true;
      return;
    }
    const cancelled = (): void => {
      if (!isCompleted(t)) this.finish(t, 'Completed, Cancelled', 'Operation cancelled');
    };
    if (sim) setTimeout(cancelled, CANCEL_LAG_MS).unref();
    else cancelled(); // a stuck record with no live task is marked at once
    if (remove && this.ctx.features.removeActiveThrows) {
      throw new ApiError(500, 'Invalid attempt to remove a download before it is complete');
    }
  }

  /** restart(): every unfinished transfer fails with "Application shut down" and is not resumed. */
  shutdown(): void {
    this.abortAll();
    for (const t of this.ctx.store.transfers.values()) {
      if (!isCompleted(t)) this.finish(t, 'Completed, Errored', 'Application shut down');
    }
  }

  abortAll(): void {
    for (const sim of this.sims.values()) sim.abort.abort();
    this.sims.clear();
  }
}
