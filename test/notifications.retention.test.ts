import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createJobsRepository } from '../src/jobs/jobs.repository.js';
import { createNotificationsRepository } from '../src/notifications/notifications.repository.js';
import {
  createRetentionSweep,
  NOTIFICATION_RETENTION as KEEP,
} from '../src/notifications/retention.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const NOW = 1_900_000_000_000;
const DAY = 86_400_000;

/**
 * Delivery attempts and dead jobs are trimmed by age and count (notifications/retention.ts), on
 * seeded rows: exactly the rows past the rule go, the newest stay, queued jobs are never touched.
 */
describe.each(testDialects())('notification retention on %s', (dialect) => {
  let db: TestDb | undefined;
  afterEach(async () => {
    await db?.cleanup();
    db = undefined;
  });

  it('keeps 30 days and 1,000 attempts per target, and dead jobs 30 days', async () => {
    db = await freshDb(dialect);
    const target = async (name: string) => {
      const id = randomUUID();
      await db!.db
        .insertInto('notification_targets')
        .values({
          id,
          name,
          type: 'webhook',
          url: 'https://example.com/hook',
          secret: null,
          token: null,
          topic: null,
          events: '[]',
          enabled: 1,
          created_at: NOW - 90 * DAY,
          updated_at: NOW - 90 * DAY,
        })
        .execute();
      return id;
    };
    const busy = await target('busy');
    const quiet = await target('quiet');
    const delivery = (targetId: string, at: number) => ({
      id: randomUUID(),
      target_id: targetId,
      message_id: randomUUID(),
      event: 'download.completed',
      item_count: 1,
      attempt: 1,
      outcome: 'delivered' as const,
      status_code: 200,
      error: null,
      duration_ms: 5,
      at,
    });
    // busy: 1,010 recent attempts (one a millisecond) and 3 past 30 days; quiet: 4 and 2.
    const rows = [
      ...Array.from({ length: 1010 }, (_, i) => delivery(busy, NOW - DAY + i)),
      ...Array.from({ length: 3 }, (_, i) => delivery(busy, NOW - KEEP.deliveryMaxAgeMs - 1 - i)),
      ...Array.from({ length: 4 }, (_, i) => delivery(quiet, NOW - 29 * DAY + i)),
      ...Array.from({ length: 2 }, (_, i) => delivery(quiet, NOW - 31 * DAY - i)),
    ];
    for (let i = 0; i < rows.length; i += 500)
      await db.db
        .insertInto('notification_deliveries')
        .values(rows.slice(i, i + 500))
        .execute();

    const job = async (state: 'queued' | 'dead', updatedAt: number) => {
      const id = randomUUID();
      await db!.db
        .insertInto('jobs')
        .values({
          id,
          task: 'notify.deliver',
          payload: '{}',
          unique_key: null,
          state,
          attempts: 3,
          max_attempts: 3,
          run_after: updatedAt,
          lease_owner: null,
          lease_expires_at: null,
          lease_token: 3,
          last_error: state === 'dead' ? 'HTTP 500' : null,
          created_at: updatedAt - DAY,
          updated_at: updatedAt,
        })
        .execute();
      await db!.db
        .insertInto('notification_items')
        .values({ id: randomUUID(), job_id: id, event: 'x', data: '{}', created_at: updatedAt })
        .execute();
      return id;
    };
    const oldDead = await job('dead', NOW - KEEP.deadJobMaxAgeMs - 1);
    const recentDead = await job('dead', NOW - KEEP.deadJobMaxAgeMs + DAY);
    const oldQueued = await job('queued', NOW - 90 * DAY);

    const repo = createNotificationsRepository(db.db);
    const sweep = createRetentionSweep({
      repo,
      jobs: createJobsRepository(db),
      now: () => NOW,
      log: { warn: () => undefined },
    });
    expect(await sweep.trim()).toEqual({ deliveriesByAge: 5, deliveriesByCount: 10, deadJobs: 1 });

    // busy keeps its newest 1,000, in the API's order; quiet its 4 recent ones.
    const kept = await repo.deliveries(busy, 2000);
    expect(kept).toHaveLength(KEEP.deliveriesPerTarget);
    expect(kept[0]!.at).toBe(NOW - DAY + 1009);
    expect(kept.at(-1)!.at).toBe(NOW - DAY + 10);
    expect((await repo.deliveries(quiet, 100)).map((d) => d.at)).toEqual(
      [3, 2, 1, 0].map((i) => NOW - 29 * DAY + i),
    );
    const jobs = await db.db.selectFrom('jobs').select('id').execute();
    expect(jobs.map((j) => j.id).sort()).toEqual([recentDead, oldQueued].sort());
    // The dead job's items went with it (cascade); the others' stayed.
    const items = await db.db.selectFrom('notification_items').select('job_id').execute();
    expect(items.map((i) => i.job_id).sort()).toEqual([recentDead, oldQueued].sort());
    expect(items.map((i) => i.job_id)).not.toContain(oldDead);

    // A second pass finds nothing left to trim.
    expect(await sweep.trim()).toEqual({ deliveriesByAge: 0, deliveriesByCount: 0, deadJobs: 0 });
  });
});
