import type { Db } from '../../src/db/database.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import {
  createEventLog,
  type EventLog,
  type LoggedEventInput,
} from '../../src/events/event-log.js';
import { buildApp, type App, type AppDeps } from '../../src/http/app.js';
import {
  setUpNotifications,
  type NotificationsSetup,
} from '../../src/notifications/notifications.setup.js';
import type { SettingsService } from '../../src/settings/settings.service.js';
import type { TestDb } from './db.js';

export const NOTIFY_KEY = 'notifications-test-key-0123';

export interface NotifierSettings {
  allowedPrivateTargets: string[];
  notificationGroupSeconds: number;
  toastEvents: string[];
}

/**
 * The notification parts on a real database without the rest of SoulSpot: the event log
 * (started, so its tailer wakes the runner as in a process), the outbox and runner, and the API
 * routes inside the real app (auth, validation, error mapping). Settings are a plain object the
 * test changes.
 */
export async function startNotifier(
  db: TestDb,
  options: {
    settings?: Partial<NotifierSettings>;
    retryDelayMs?: (attempt: number) => number;
    holdLimitMs?: number;
    concurrency?: number;
    owner?: string;
    leaseMs?: number;
  } = {},
): Promise<{
  events: EventLog;
  notifications: NotificationsSetup;
  app: App;
  settings: NotifierSettings;
  warnings: { obj: object; msg?: string }[];
  call<T = Record<string, unknown>>(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; text: string }>;
  append(batch: LoggedEventInput[]): Promise<void>;
  stop(): Promise<void>;
}> {
  const settings: NotifierSettings = {
    allowedPrivateTargets: [],
    notificationGroupSeconds: 0,
    toastEvents: [],
    ...options.settings,
  };
  const warnings: { obj: object; msg?: string }[] = [];
  const log = { warn: (obj: object, msg?: string) => void warnings.push({ obj, msg }) };
  const events = createEventLog({ handle: db, pollMs: 0, log });
  await events.start();
  const notifications = setUpNotifications({
    handle: db,
    events,
    settings: { get: (k: string) => settings[k as keyof NotifierSettings] } as unknown as Pick<
      SettingsService,
      'get'
    >,
    owner: options.owner ?? 'test-owner',
    leaseMs: options.leaseMs ?? 10_000,
    now: Date.now,
    log,
    ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
    ...(options.holdLimitMs ? { holdLimitMs: options.holdLimitMs } : {}),
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  await notifications.start();
  const notUsedHere = {} as never;
  const deps: AppDeps = {
    apiKey: NOTIFY_KEY,
    downloads: notUsedHere,
    blocklist: notUsedHere,
    health: notUsedHere,
    broker: notUsedHere,
    settings: notUsedHere,
    queueControl: notUsedHere,
    qualityProfiles: notUsedHere,
    notifications: notifications.service,
  };
  const app = await buildApp(deps);
  await app.ready();
  return {
    events,
    notifications,
    app,
    settings,
    warnings,
    async call(method, url, body) {
      const res = await app.inject({
        method,
        url,
        headers: { 'x-api-key': NOTIFY_KEY },
        ...(body !== undefined ? { payload: body as object } : {}),
      });
      return {
        status: res.statusCode,
        body: (res.body ? res.json() : undefined) as never,
        text: res.body,
      };
    },
    append: (batch) => db.writeTx((tx: Db) => events.appendMany(tx, batch).then(() => undefined)),
    async stop() {
      await notifications.stop();
      await app.close();
      await events.stop();
    },
  };
}

/** A completed download as its event carries it (only the fields notifications read matter). */
export function completed(
  i: number,
  status: 'completed' | 'failed' = 'completed',
): LoggedEventInput {
  const dto = {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    status,
    artist: `Artist ${i}`,
    title: `Title ${i}`,
    album: null,
    errorCode: status === 'failed' ? 'no_results' : null,
    errorMessage: null,
    libraryPath: status === 'completed' ? `/library/Artist ${i}/Title ${i}.flac` : null,
    completedAt: null,
  } as unknown as DownloadDto;
  return status === 'completed'
    ? { type: 'download.completed', payload: dto }
    : { type: 'download.failed', payload: dto };
}
