// Attempt writes are fenced like download writes, and a worker confirms its lease before a call to
// the daemon: a stale worker (paused past its lease, overtaken) can record nothing on an attempt a
// newer owner drives, and is told so before it cancels anything.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Insertable } from 'kysely';
import type { AttemptsTable } from '../src/db/schema.js';
import { createDownloadRepository } from '../src/downloads/download.repository.js';
import { judgeTransfers } from '../src/downloads/orphan-sweep.js';
import type { TransferStatus } from '../src/providers/provider.js';
import { createQueueRepository, LeaseLostError } from '../src/queue/queue.repository.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

const NOW = 1_800_000_000_000;
const LEASE = 30_000;

function attemptRow(downloadId: string, o: Partial<Insertable<AttemptsTable>> = {}) {
  return {
    id: randomUUID(),
    download_id: downloadId,
    round: 0,
    provider: 'slskd',
    username: 'peer',
    filename: '@@p\\Music\\A\\01 - Song.flac',
    size: 1000,
    extension: 'flac',
    batch_id: randomUUID(),
    transfer_id: null,
    state: 'pending',
    requeues: 0,
    created_at: NOW,
    updated_at: NOW,
    ...o,
  } satisfies Insertable<AttemptsTable>;
}

describe.each(testDialects())(
  'attempt writes and daemon calls fenced by the lease on %s',
  (dialect) => {
    let db: TestDb;
    beforeEach(async () => {
      db = await freshDb(dialect);
    });
    afterEach(async () => {
      await db.cleanup();
    });

    /** A download claimed by `old`, whose lease lapsed and was taken over by `new`. */
    async function overtaken() {
      const row = downloadRow({ status: 'queued' });
      await db.db.insertInto('downloads').values(row).execute();
      const attempt = attemptRow(row.id);
      await db.db.insertInto('attempts').values(attempt).execute();
      await db.db
        .updateTable('downloads')
        .set({ current_attempt_id: attempt.id })
        .where('id', '=', row.id)
        .execute();
      const queue = createQueueRepository(db);
      const stale = (await queue.claimNext('old', NOW, LEASE, 10))!;
      const fresh = (await queue.claimNext('new', NOW + LEASE + 1, LEASE, 10))!;
      return { queue, repo: createDownloadRepository(db), stale, fresh, attempt };
    }

    it("applies a worker's attempt write only while its lease holds", async () => {
      const { repo, stale, fresh, attempt } = await overtaken();
      await expect(
        repo.updateAttempt(stale, attempt.id, { state: 'failed', error_code: 'queue_timeout' }),
      ).rejects.toBeInstanceOf(LeaseLostError);
      expect((await repo.getAttempt(attempt.id))?.state).toBe('pending');

      await repo.updateAttempt(fresh, attempt.id, { local_path: '/x.flac' });
      expect((await repo.getAttempt(attempt.id))?.local_path).toBe('/x.flac');
      // A lease on another download does not open this one's attempts.
      const other = downloadRow();
      await db.db.insertInto('downloads').values(other).execute();
      const otherLease = { ...fresh, downloadId: other.id };
      await expect(
        repo.updateAttempt(otherLease, attempt.id, { state: 'failed' }),
      ).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('records an enqueue only for the current owner of an open attempt', async () => {
      const { repo, stale, fresh, attempt } = await overtaken();
      expect(await repo.markEnqueued(stale, attempt.id, 't-stale', NOW)).toBe(false);
      expect((await repo.getAttempt(attempt.id))?.transfer_id).toBeNull();
      expect(await repo.markEnqueued(fresh, attempt.id, 't-1', NOW)).toBe(true);
      await repo.commandUpdateAttempt(attempt.id, { state: 'cancelled' });
      expect(await repo.markEnqueued(fresh, attempt.id, 't-2', NOW)).toBe(false);
    });

    it('confirms a lease before a daemon call only while it is ours and not expired', async () => {
      const { queue, stale, fresh } = await overtaken();
      expect(await queue.confirm(stale, NOW + LEASE + 2, LEASE)).toBe(false);
      expect(await queue.confirm(fresh, NOW + LEASE + 2, LEASE)).toBe(true);
      // Expired but not yet claimed by anyone: still no.
      expect(await queue.confirm(fresh, NOW + 4 * LEASE, LEASE)).toBe(false);
    });

    it('tells which transfers an active download follows, for the orphan sweep', async () => {
      const { repo, fresh, attempt } = await overtaken();
      await repo.markEnqueued(fresh, attempt.id, 'followed', NOW);
      const t = (id: string) => ({ id, username: 'nobody', filename: 'nothing' });
      expect(await repo.isTransferFollowed(t('followed'))).toBe(true);
      expect(await repo.isTransferFollowed(t('unknown'))).toBe(false);

      const cancelled = downloadRow({ status: 'cancelled' });
      await db.db.insertInto('downloads').values(cancelled).execute();
      const left = attemptRow(cancelled.id, { transfer_id: 'left', state: 'cancelled' });
      await db.db.insertInto('attempts').values(left).execute();
      expect(await repo.isTransferFollowed(t('left'))).toBe(false);

      // An active download whose enqueue of the same user and file is still pending may be about
      // to adopt the transfer ("already in progress"): it is followed, not an orphan.
      const adopting = downloadRow({ status: 'queued' });
      await db.db.insertInto('downloads').values(adopting).execute();
      const pending = attemptRow(adopting.id, { state: 'pending', transfer_id: null });
      await db.db.insertInto('attempts').values(pending).execute();
      await db.db
        .updateTable('downloads')
        .set({ current_attempt_id: pending.id })
        .where('id', '=', adopting.id)
        .execute();
      const same = { id: 'left', username: pending.username, filename: pending.filename };
      expect(await repo.isTransferFollowed(same)).toBe(true);
      expect(await repo.isTransferFollowed({ ...same, filename: 'other' })).toBe(false);

      const found = await repo.attemptsForTransfers({
        transferIds: ['followed', 'left', 'foreign'],
        batchIds: [],
        filenames: [],
      });
      const transfer = (id: string, extra: Partial<TransferStatus> = {}): TransferStatus => ({
        id,
        username: 'peer',
        filename: attempt.filename,
        size: 1000,
        state: 'in_progress',
        raw: 'InProgress',
        bytesTransferred: 0,
        averageSpeed: 0,
        percentComplete: 0,
        batchId: randomUUID(),
        ...extra,
      });
      const verdict = judgeTransfers(
        [transfer('followed'), transfer('left'), transfer('foreign')],
        found,
      );
      expect(verdict.orphans.map((t) => t.id)).toEqual(['left']);
      expect(verdict.foreign.map((t) => t.id)).toEqual(['foreign']);
    });
  },
);
