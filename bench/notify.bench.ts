import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openDatabase, type DatabaseHandle } from '../src/db/database.js';
import { createEventLog } from '../src/events/event-log.js';
import { NOTIFICATION_ROUTES } from '../src/notifications/notification-events.js';
import { createNotificationsRepository } from '../src/notifications/notifications.repository.js';
import { setUpNotifications } from '../src/notifications/notifications.setup.js';
import { DELIVER_TASK } from '../src/notifications/outbox.js';
import type { SettingsService } from '../src/settings/settings.service.js';
import { freshPgDatabase } from '../test/helpers/db.js';
import { startReceiver } from '../test/helpers/receiver.js';

/** Messages delivered per measured run. */
const MESSAGES = 2000;

export interface NotifyFigures {
  database: string;
  concurrency: number;
  messages: number;
  'deliveries/s': number;
  /** One event appended → its message at the receiver, group window 0, p50 of 50. */
  'pickup p50 ms': number;
}

/**
 * The outbox's delivery rate: MESSAGES delivery jobs (one event each) waiting, then the job
 * runner delivers them to a loopback receiver that answers 200 at once. Each delivery is a claim,
 * the signed POST, and the commit that completes the job with its delivery record.
 */
export async function notifyBench(pgUrl?: string): Promise<NotifyFigures[]> {
  const out: NotifyFigures[] = [];
  for (const concurrency of [4, 16]) out.push(await run(concurrency, pgUrl));
  return out;
}

async function run(concurrency: number, pgUrl?: string): Promise<NotifyFigures> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-bench-notify-'));
  const pg = pgUrl ? await freshPgDatabase(pgUrl) : null;
  const handle: DatabaseHandle = await openDatabase(
    pg ? { url: pg.url } : { url: null, sqlitePath: path.join(dir, 'bench.db') },
  );
  const receiver = await startReceiver(() => 200);
  const settings = {
    allowedPrivateTargets: [`127.0.0.1:${receiver.port}`],
    notificationGroupSeconds: 0,
    toastEvents: [] as string[],
  };
  const events = createEventLog({ handle, pollMs: 0 });
  await events.start();
  const n = setUpNotifications({
    handle,
    events,
    settings: { get: (k: string) => settings[k as keyof typeof settings] } as unknown as Pick<
      SettingsService,
      'get'
    >,
    owner: 'bench',
    leaseMs: 30_000,
    now: Date.now,
    log: { warn: () => undefined },
    concurrency,
  });
  const target = await n.service.create({
    name: 'bench',
    type: 'webhook',
    url: `${receiver.url}/hook`,
    events: ['download.completed'],
  });
  // The jobs as the outbox writes them, each its own message (no key: nothing merges).
  const repo = createNotificationsRepository(handle.db);
  const item = NOTIFICATION_ROUTES['download.completed'].item({ artist: 'Artist', title: 'Title' });
  const t = Date.now();
  await handle.writeTx(async (tx) => {
    for (let i = 0; i < MESSAGES; i++) {
      const id = await n.jobs.enqueue(
        tx,
        {
          task: DELIVER_TASK,
          payload: { targetId: target.id, event: 'download.completed' },
          runAfter: t,
          maxAttempts: 16,
        },
        t,
      );
      await repo.insertItems(tx, id, 'download.completed', [item], t);
    }
  });
  const started = performance.now();
  await n.start();
  while (receiver.requests.length < MESSAGES || n.runner.stats.finished < MESSAGES)
    await new Promise((r) => setTimeout(r, 20));
  const rate = Math.round(MESSAGES / ((performance.now() - started) / 1000));

  // Pickup: an event appended (its job due at once) to the request at the receiver.
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const before = receiver.requests.length;
    const t0 = performance.now();
    await handle.writeTx((tx) =>
      events.append(tx, 'download.completed', {
        artist: 'A',
        title: `T${i}`,
      } as never),
    );
    while (receiver.requests.length === before) await new Promise((r) => setImmediate(r));
    latencies.push(performance.now() - t0);
  }
  latencies.sort((a, b) => a - b);
  await n.stop();
  await events.stop();
  await receiver.close();
  await handle.close();
  await pg?.drop();
  rmSync(dir, { recursive: true, force: true });
  return {
    database: pg ? 'PostgreSQL' : 'SQLite',
    concurrency,
    messages: MESSAGES,
    'deliveries/s': rate,
    'pickup p50 ms': Math.round((latencies[25] ?? 0) * 10) / 10,
  };
}
