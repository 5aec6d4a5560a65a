import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBlocklistService,
  type BlocklistService,
} from '../src/blocklist/blocklist.service.js';
import { createEventBus } from '../src/events/event-bus.js';
import { freshDb, testDialects, type TestDb } from './helpers/db.js';

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;

/**
 * An automatic block takes the slskd file name as it comes, of any length. Before migration 010 the
 * unique index held the name itself and PostgreSQL refused an entry over 2704 bytes: the failure's
 * whole transaction (statistics included) failed. A 5 KB name is blocked, found, and kept apart
 * from a name that shares its first 5 KB.
 */
describe.each(testDialects())('blocklist with a 5 KB file name on %s', (dialect) => {
  let db: TestDb;
  let blocklist: BlocklistService;
  beforeEach(async () => {
    db = await freshDb(dialect);
    blocklist = createBlocklistService({
      handle: db,
      bus: createEventBus(),
      now: () => T0,
      settings: { failureThreshold: 3, windowMs: DAY, blockMs: 7 * DAY },
    });
  });
  afterEach(async () => {
    await db.cleanup();
  });

  // Random text: PostgreSQL compresses a long index entry first, and a repeated name would fit.
  const long = `@@share\\${randomBytes(3800)
    .toString('base64url')
    .replace(/(.{60})/g, '$1\\')} - Track.flac`;
  const fail = (filename: string) =>
    blocklist.record({
      downloadId: 'download-1',
      provider: 'slskd',
      username: 'peer',
      filename,
      outcome: 'failed',
      errorCode: 'file_not_found',
      errorMessage: 'gone',
      bytes: 0,
      averageSpeed: null,
      at: T0,
    });

  it('blocks the file, once, and tells it from a longer name sharing its start', async () => {
    expect(Buffer.byteLength(long)).toBeGreaterThan(5000);
    await fail(long);
    await fail(long); // the upsert's conflict target finds the same entry
    const filter = await blocklist.sourceFilter(['peer']);
    expect(filter.isBlocked({ username: 'peer', filename: long })).toBe(true);
    expect(filter.isBlocked({ username: 'peer', filename: `${long}x` })).toBe(false);
    await fail(`${long}x`);
    const items = await blocklist.list();
    // Both at T0: the list's order between them is their random ids', so compare sorted.
    expect(items.map((e) => [e.filename, e.failureCount]).sort()).toEqual([
      [long, 2],
      [`${long}x`, 1],
    ]);
  });
});
