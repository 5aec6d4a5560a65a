// The scheduler (queue-control.service.ts): a due schedule's release and its `schedule_due` event
// are one transaction, so neither is committed without the other. Real database, both dialects.
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createQueueControlRepository } from '../src/downloads/queue-control.repository.js';
import { createQueueControlService } from '../src/downloads/queue-control.service.js';
import { createEventLog } from '../src/events/event-log.js';
import { defaultSettings } from '../src/settings/settings.definitions.js';
import { createSettingsRepository } from '../src/settings/settings.repository.js';
import { createSettingsService } from '../src/settings/settings.service.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';
import { waitUntil } from './helpers/wait.js';

const NOW = 1_800_000_000_000;

describe.each(testDialects())('scheduler on %s', (dialect) => {
  let db: TestDb;
  beforeEach(async () => {
    db = await freshDb(dialect);
  });
  afterEach(async () => {
    await db.cleanup();
  });

  const service = (warnings: string[]) => {
    const log = {
      info() {},
      debug() {},
      error() {},
      warn: (_o: unknown, message: string) => void warnings.push(message),
    };
    const config = loadConfig({
      SOULSPOT_DATA_DIR: path.join(tmpdir(), 'soulspot-unused'),
      SOULSPOT_LOG_LEVEL: 'silent',
    });
    return createQueueControlService({
      handle: db,
      control: createQueueControlRepository(db),
      settings: createSettingsService({
        repo: createSettingsRepository(db),
        defaults: defaultSettings(config),
        now: () => NOW,
        log,
      }),
      events: createEventLog({ handle: db, now: () => NOW, pollMs: 0 }),
      now: () => NOW,
      log,
      runner: { wake() {}, abort() {} },
      sweepTransfers() {},
    });
  };
  const row = (id: string) =>
    db.db.selectFrom('downloads').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('a due schedule whose event cannot be written stays scheduled; once it can, both commit', async () => {
    const due = downloadRow({ status: 'waiting', hold: 'scheduled', scheduled_at: NOW - 1 });
    await db.db.insertInto('downloads').values(due).execute();
    if (dialect === 'postgres') {
      await sql`CREATE FUNCTION no_events() RETURNS trigger AS $$ BEGIN
          RAISE EXCEPTION 'no events today'; END $$ LANGUAGE plpgsql`.execute(db.db);
      await sql`CREATE TRIGGER no_events BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION no_events()`.execute(
        db.db,
      );
    } else {
      await sql`CREATE TRIGGER no_events BEFORE INSERT ON events
        BEGIN SELECT RAISE(ABORT, 'no events today'); END`.execute(db.db);
    }
    const warnings: string[] = [];
    const first = service(warnings);
    first.startScheduler();
    await waitUntil(() => warnings.includes('schedule check failed'), { what: 'a failed check' });
    first.stopScheduler();
    // Rolled back with its event: still scheduled, so the next check releases it and says so.
    expect((await row(due.id)).hold).toBe('scheduled');
    expect(await db.db.selectFrom('events').selectAll().execute()).toEqual([]);

    await sql`DROP TRIGGER no_events ${sql.raw(dialect === 'postgres' ? 'ON events' : '')}`.execute(
      db.db,
    );
    const second = service([]);
    second.startScheduler();
    await waitUntil(async () => (await row(due.id)).hold === 'none', { what: 'the release' });
    second.stopScheduler();
    const events = await db.db.selectFrom('events').selectAll().execute();
    expect(events.map((e) => [e.type, JSON.parse(e.payload) as unknown])).toEqual([
      ['downloads.changed', { action: 'schedule_due', ids: [due.id] }],
    ]);
  });
});
