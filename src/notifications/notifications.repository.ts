import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db, Dialect } from '../db/database.js';
import { ACTIVE_STATUSES } from '../downloads/download.js';
import type { NotificationDeliveriesTable, NotificationTargetsTable } from '../db/schema.js';
import type { NotificationItem } from './notification-events.js';
import type { Target, TargetType } from './target-formats.js';

/** A target's row: the click URL lives with the events, in the JSON column (no column of its own). */
interface EventsColumn {
  events: string[];
  clickUrl?: string | null;
  /** The target's state as deliveries left it (target-answer.ts); no columns of their own either. */
  disabledReason?: string | null;
  backoffUntil?: number | null;
}

/**
 * The notification tables' SQL, one operation per function: targets, the items waiting in a
 * delivery job, and the record of each delivery attempt.
 */
export function createNotificationsRepository(db: Db, dialect: Dialect = 'sqlite') {
  return {
    async insertTarget(tx: Db, target: Target, now: number): Promise<void> {
      await tx
        .insertInto('notification_targets')
        .values(toRow(target, now, now))
        .execute();
    },

    /** Writes every field of the target. False: no such target. */
    async updateTarget(tx: Db, target: Target, now: number): Promise<boolean> {
      const { id: _id, created_at: _c, ...set } = toRow(target, now, now);
      const result = await tx
        .updateTable('notification_targets')
        .set(set)
        .where('id', '=', target.id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /**
     * What a delivery learnt of its target (410 Gone, a Retry-After), written over the target as
     * it is NOW, inside the caller's transaction (PostgreSQL: the row locked), never over the copy
     * the delivery read before sending: an edit the user saved meanwhile (disabled it, rotated the
     * secret, changed the URL) stays. A 410 disables only while the target still has the URL it
     * was said about. False: no such target, or its URL changed.
     */
    async setTargetState(
      tx: Db,
      id: string,
      change: { gone: { reason: string; url: string } } | { backoffUntil: number },
      now: number,
    ): Promise<boolean> {
      let query = tx.selectFrom('notification_targets').selectAll().where('id', '=', id);
      if (dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      if (!row) return false;
      const current = toTarget(row);
      if ('gone' in change && current.url !== change.gone.url) return false;
      const next: Target =
        'gone' in change
          ? { ...current, enabled: false, disabledReason: change.gone.reason, backoffUntil: null }
          : { ...current, backoffUntil: Math.max(current.backoffUntil ?? 0, change.backoffUntil) };
      const { id: _id, created_at: _c, ...set } = toRow(next, now, now);
      await tx.updateTable('notification_targets').set(set).where('id', '=', id).execute();
      return true;
    },

    /** Deletes a target with its deliveries (cascade). False: no such target. */
    async deleteTarget(id: string): Promise<boolean> {
      const result = await db
        .deleteFrom('notification_targets')
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /** The target as it is now, in a write transaction (PostgreSQL: the row locked). */
    async lockedTarget(tx: Db, id: string): Promise<Target | null> {
      let query = tx.selectFrom('notification_targets').selectAll().where('id', '=', id);
      if (dialect === 'postgres') query = query.forUpdate();
      const row = await query.executeTakeFirst();
      return row ? toTarget(row) : null;
    },

    async target(id: string, tx: Db = db): Promise<Target | null> {
      const row = await tx
        .selectFrom('notification_targets')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toTarget(row) : null;
    },

    async targets(): Promise<Target[]> {
      const rows = await db
        .selectFrom('notification_targets')
        .selectAll()
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toTarget);
    },

    /** Enabled targets and what they subscribe to, read inside an event-writing transaction. */
    async enabledTargets(tx: Db): Promise<{ id: string; events: string[] }[]> {
      const rows = await tx
        .selectFrom('notification_targets')
        .select(['id', 'events'])
        .where('enabled', '=', 1)
        .execute();
      return rows.map((r) => ({ id: r.id, events: parseEvents(r.events).events }));
    },

    /** Adds events to a delivery job, in the caller's transaction (the event's). */
    async insertItems(
      tx: Db,
      jobId: string,
      event: string,
      items: readonly NotificationItem[],
      now: number,
    ): Promise<void> {
      // 5 parameters a row: chunks of 500 stay far below either database's limit.
      for (let i = 0; i < items.length; i += 500) {
        await tx
          .insertInto('notification_items')
          .values(
            items.slice(i, i + 500).map((item, k) => ({
              // Sortable: the message lists the items in the order they happened.
              id: `${String(now).padStart(15, '0')}-${String(i + k).padStart(6, '0')}-${randomUUID()}`,
              job_id: jobId,
              event,
              data: JSON.stringify(item),
              created_at: now,
            })),
          )
          .execute();
      }
    },

    /** The events of a delivery job, oldest first. */
    async items(jobId: string): Promise<NotificationItem[]> {
      const rows = await db
        .selectFrom('notification_items')
        .select('data')
        .where('job_id', '=', jobId)
        .orderBy('id')
        .execute();
      return rows.map((r) => JSON.parse(r.data) as NotificationItem);
    },

    /**
     * Moves a waiting delivery job to `until` at the earliest (a target's `Retry-After`), in the
     * transaction that records its verdict (after the runner's own `fail`). `uncount`: no request
     * was sent, so the claim's attempt is taken back and a last attempt is not a death.
     */
    async postponeJob(tx: Db, jobId: string, until: number, uncount: boolean): Promise<void> {
      await tx
        .updateTable('jobs')
        .set((eb) => ({
          // Held without sending (uncount): due exactly when the hold ends, not at the retry
          // ladder's later step the runner had set (a hold is not a failure). A failed attempt's
          // wait is the longer of the two.
          run_after: uncount
            ? until
            : sql<number>`CASE WHEN run_after < ${until} THEN ${until} ELSE run_after END`,
          ...(uncount ? { attempts: eb('attempts', '-', 1), state: 'queued' } : {}),
        }))
        .where('id', '=', jobId)
        .where('lease_owner', 'is', null)
        .execute();
    },

    /** Records one delivery attempt (with a job's verdict, in its transaction). */
    async insertDelivery(tx: Db, delivery: Omit<NotificationDeliveriesTable, 'id'>): Promise<void> {
      await tx
        .insertInto('notification_deliveries')
        .values({ id: randomUUID(), ...delivery })
        .execute();
    },

    /**
     * Whether any download is unfinished (the idle check). One look per status into
     * `downloads_claim` (status, run_after): asked of all of them at once, PostgreSQL chose to
     * scan the table (100 ms at 100,000 rows).
     */
    async hasUnfinishedDownload(): Promise<boolean> {
      for (const status of ACTIVE_STATUSES) {
        const row = await db
          .selectFrom('downloads')
          .select('id')
          .where('status', '=', status)
          .orderBy('run_after')
          .limit(1)
          .executeTakeFirst();
        if (row !== undefined) return true;
      }
      return false;
    },

    /**
     * Enabled targets, and how many failed their latest delivery (the health check). A target's
     * newest attempt that is not a test decides: `failed` or `dead` is failing; none yet is not.
     */
    async targetHealth(): Promise<{ total: number; failing: number }> {
      const rows = await db
        .selectFrom('notification_targets as t')
        .select((eb) => [
          't.id',
          eb
            .selectFrom('notification_deliveries as d')
            .select('d.outcome')
            .whereRef('d.target_id', '=', 't.id')
            .where('d.outcome', '!=', 'test')
            .orderBy('d.at', 'desc')
            .orderBy('d.id', 'desc')
            .limit(1)
            .as('last'),
        ])
        .where('t.enabled', '=', 1)
        .execute();
      const failing = rows.filter((r) => r.last === 'failed' || r.last === 'dead').length;
      return { total: rows.length, failing };
    },

    /** Deletes delivery attempts recorded before `cutoff` (epoch ms). Returns the rows deleted. */
    async trimDeliveriesOlderThan(cutoff: number): Promise<number> {
      const result = await db
        .deleteFrom('notification_deliveries')
        .where('at', '<', cutoff)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },

    /**
     * Keeps each target's newest `keep` attempts, in the order the API lists them (at, then id,
     * newest first), and deletes the rest: one statement, a window over each target's rows.
     */
    async trimDeliveriesPerTarget(keep: number): Promise<number> {
      const result = await sql`DELETE FROM notification_deliveries WHERE id IN (
        SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY target_id
          ORDER BY at DESC, id DESC) AS rn FROM notification_deliveries) ranked
        WHERE rn > ${keep})`.execute(db);
      return Number(result.numAffectedRows ?? 0);
    },

    /** A target's attempts, newest first. */
    deliveries(targetId: string, limit: number): Promise<NotificationDeliveriesTable[]> {
      return db
        .selectFrom('notification_deliveries')
        .selectAll()
        .where('target_id', '=', targetId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;

function parseEvents(text: string): EventsColumn {
  const parsed = JSON.parse(text) as EventsColumn | string[];
  return Array.isArray(parsed) ? { events: parsed } : parsed;
}

function toRow(t: Target, createdAt: number, updatedAt: number): NotificationTargetsTable {
  return {
    id: t.id,
    name: t.name,
    type: t.type,
    url: t.url,
    secret: t.secret,
    token: t.token,
    topic: t.topic,
    events: JSON.stringify({
      events: t.events,
      clickUrl: t.clickUrl,
      disabledReason: t.disabledReason,
      backoffUntil: t.backoffUntil,
    } satisfies EventsColumn),
    enabled: t.enabled ? 1 : 0,
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

function toTarget(row: NotificationTargetsTable): Target {
  const { events, clickUrl, disabledReason, backoffUntil } = parseEvents(row.events);
  return {
    id: row.id,
    name: row.name,
    type: row.type as TargetType,
    url: row.url,
    secret: row.secret,
    token: row.token,
    topic: row.topic,
    clickUrl: clickUrl ?? null,
    events,
    enabled: Number(row.enabled) === 1,
    disabledReason: disabledReason ?? null,
    backoffUntil: backoffUntil ?? null,
  };
}
