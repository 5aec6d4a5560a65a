import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventLog, type EventLog } from '../src/events/event-log.js';
import type { TransferStatus } from '../src/providers/provider.js';
import { createSourceWaitRepository } from '../src/queue/source-wait.repository.js';
import { createSourceWatch } from '../src/queue/source-watch.js';
import { downloadRow } from './helpers/factories.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const T0 = 1_800_000_000_000;

/**
 * The source watch writes a parked download's new place in its peer's queue and announces it
 * (`download.progress`) in one transaction: committed together, or not at all.
 */
describe.each(testDialects())('parked queue places on %s', (dialect) => {
  let db: TestDb;
  let log: EventLog;
  let transfers: TransferStatus[];

  beforeEach(async () => {
    db = await freshDb(dialect);
    log = createEventLog({ handle: db, now: () => T0 });
    transfers = [];
  });
  afterEach(async () => {
    await db.cleanup();
  });

  /** A download parked at a peer, its transfer `queued_remotely` at `place`. */
  const parked = async (place: number | null): Promise<{ id: string; transferId: string }> => {
    const row = downloadRow({
      status: 'queued',
      source_wait: 'waiting',
      source_wait_since: T0 - 1000,
      queue_position: place,
    });
    await db.db.insertInto('downloads').values(row).execute();
    const attemptId = randomUUID();
    const transferId = randomUUID();
    await db.db
      .insertInto('attempts')
      .values({
        id: attemptId,
        download_id: row.id,
        round: 0,
        provider: 'slskd',
        username: 'peer',
        filename: `@@p\\Music\\${row.title}.flac`,
        size: 1000,
        extension: 'flac',
        bit_rate: null,
        sample_rate: null,
        bit_depth: null,
        length_seconds: null,
        batch_id: randomUUID(),
        transfer_id: transferId,
        state: 'enqueued',
        error_code: null,
        error_message: null,
        local_path: null,
        target_path: null,
        requeues: 0,
        created_at: T0,
        updated_at: T0,
        finished_at: null,
      })
      .execute();
    await db.db
      .updateTable('downloads')
      .set({ current_attempt_id: attemptId })
      .where('id', '=', row.id)
      .execute();
    return { id: row.id, transferId };
  };

  const queuedAt = (id: string, place: number): TransferStatus => ({
    id,
    username: 'peer',
    filename: 'x.flac',
    state: 'queued_remotely',
    raw: 'Queued, Remotely',
    size: 1000,
    bytesTransferred: 0,
    percentComplete: 0,
    averageSpeed: 0,
    placeInQueue: place,
    removed: false,
  });

  const watch = (events: Pick<EventLog, 'appendMany'>) =>
    createSourceWatch({
      repo: createSourceWaitRepository(db),
      handle: db,
      events,
      transfers: () => Promise.resolve(transfers),
      pollIntervalMs: 100,
      stallTimeoutMs: () => 3_600_000,
      now: () => T0,
      onReady: () => undefined,
      onError: () => undefined,
    });

  const places = async (ids: string[]) =>
    Object.fromEntries(
      (
        await db.db
          .selectFrom('downloads')
          .select(['id', 'queue_position'])
          .where('id', 'in', ids)
          .execute()
      ).map((r) => [r.id, r.queue_position]),
    );

  const progressEvents = async () =>
    (
      await db.db
        .selectFrom('events')
        .select(['type', 'payload'])
        .where('type', '=', 'download.progress')
        .orderBy('id')
        .execute()
    ).map((e) => JSON.parse(e.payload) as { id: string; queuePosition: number | null });

  it('writes the places that moved in one look, each with its progress delta', async () => {
    const a = await parked(7);
    const b = await parked(null);
    const same = await parked(4);
    transfers = [
      queuedAt(a.transferId, 3),
      queuedAt(b.transferId, 9),
      queuedAt(same.transferId, 4),
    ];
    await watch(log).look();
    expect(await places([a.id, b.id, same.id])).toEqual({ [a.id]: 3, [b.id]: 9, [same.id]: 4 });
    const events = await progressEvents();
    expect(events.map((e) => [e.id, e.queuePosition]).sort()).toEqual(
      [
        [a.id, 3],
        [b.id, 9],
      ].sort(),
    );
    // A second look at the same places writes and announces nothing.
    await watch(log).look();
    expect(await progressEvents()).toHaveLength(2);
  });

  it('writes more places than one statement binds, in chunks, each with its event', async () => {
    const many = [];
    for (let i = 0; i < 620; i++) many.push(await parked(1000 + i));
    transfers = many.map((p, i) => queuedAt(p.transferId, i + 1));
    await watch(log).look();
    const written = await places(many.map((p) => p.id));
    expect(many.every((p, i) => written[p.id] === i + 1)).toBe(true);
    const events = await progressEvents();
    expect(new Set(events.map((e) => e.id))).toEqual(new Set(many.map((p) => p.id)));
    expect(events).toHaveLength(620);
  });

  it('leaves the place unwritten when its event cannot be appended', async () => {
    const a = await parked(7);
    transfers = [queuedAt(a.transferId, 2)];
    const failing: Pick<EventLog, 'appendMany'> = {
      appendMany: () => Promise.reject(new Error('event log unavailable')),
    };
    await expect(watch(failing).look()).rejects.toThrow('event log unavailable');
    expect(await places([a.id])).toEqual({ [a.id]: 7 });
    expect(await progressEvents()).toHaveLength(0);
    // The next look, with the log back, writes it with its event.
    await watch(log).look();
    expect(await places([a.id])).toEqual({ [a.id]: 2 });
    expect((await progressEvents()).map((e) => e.queuePosition)).toEqual([2]);
  });

  it('does not write the place of a download a worker has taken back', async () => {
    const a = await parked(7);
    await db.db
      .updateTable('downloads')
      .set({ source_wait: 'ready' })
      .where('id', '=', a.id)
      .execute();
    // A look that read the row while still waiting: the UPDATE's own condition decides.
    const rows = await createSourceWaitRepository(db).setQueuePositions(
      [{ id: a.id, position: 1 }],
      T0,
      db.db,
    );
    expect(rows).toEqual([]);
    expect(await places([a.id])).toEqual({ [a.id]: 7 });
  });
});
