import fc from 'fast-check';
import {
  anyJson,
  anyText,
  Entries,
  field,
  goodText,
  intIn,
  objectOf,
  required,
  type Json,
} from './api-arbitraries.js';

/**
 * fast-check generators for the bodies of the queue-control routes (settings bodies are in
 * api-arbitraries-settings.ts), and the times and ids they carry: mostly valid,
 * at and just past each limit, now and then anything at all. Real download ids are written as
 * tokens (`@k7@`) that the fuzz test replaces with the 7th known download's id when it sends them.
 */

/** A known download's id in a body, filled in when the request runs. */
export const knownToken = (n: number) => `@k${n}@`;
export const KNOWN_TOKEN = /@k(\d+)@/g;

/** An id inside a body: a real download, an unknown UUID, or not a (lowercase) UUID at all. */
const idRef: fc.Arbitrary<Json> = fc.oneof(
  { weight: 24, arbitrary: fc.nat(50).map(knownToken) },
  { weight: 8, arbitrary: fc.uuid() },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '0B6C3F3E-8F5A-4D57-9D0E-5A2F2B7C1E11',
      '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e1',
      'not-a-uuid',
      '',
      '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11\u0000',
    ),
  },
  { weight: 1, arbitrary: anyJson },
);

/** An optional field seldom sent: a filter of four such fields is still valid most of the time. */
const seldom = (valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> =>
  fc.oneof(
    { weight: 20, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: valid },
    { weight: 1, arbitrary: anyJson },
  );

/** `count` distinct unknown ids, after one known one: the size limit without 10,000 draws. */
const manyIds = (count: number): Json[] => [
  knownToken(0),
  ...Array.from(
    { length: count - 1 },
    (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
  ),
];

/** An ids array: a few (often repeating one), sometimes empty, or 10,000 and 10,001 long. */
const idList: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc
      .tuple(fc.array(idRef, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([ids, repeat]) => (repeat ? [...ids, ids[0]!] : ids)),
  },
  { weight: 1, arbitrary: fc.constant<Json>([]) },
  { weight: 1, arbitrary: fc.constantFrom(10_000, 10_001).map(manyIds) },
  { weight: 1, arbitrary: anyJson },
);

export const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * A time: RFC 3339 built from parts that are sometimes out of range (day 31 of February, hour 24,
 * second 60), with or without fraction and offset, or a spelling that is not RFC 3339.
 */
export const dateTime: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 16,
    arbitrary: fc
      .date({
        min: new Date('0000-01-01T00:00:00Z'),
        max: new Date('9999-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString()),
  },
  {
    weight: 6,
    arbitrary: fc
      .record({
        year: fc.oneof(intIn(1970, 2100), intIn(0, 9999)),
        month: fc.oneof(
          { weight: 8, arbitrary: intIn(1, 12) },
          { weight: 1, arbitrary: intIn(0, 13) },
        ),
        day: fc.oneof(
          { weight: 8, arbitrary: intIn(1, 28) },
          { weight: 2, arbitrary: intIn(0, 32) },
        ),
        hour: fc.oneof(
          { weight: 8, arbitrary: intIn(0, 23) },
          { weight: 1, arbitrary: intIn(0, 25) },
        ),
        minute: fc.oneof(
          { weight: 8, arbitrary: intIn(0, 59) },
          { weight: 1, arbitrary: intIn(0, 60) },
        ),
        second: fc.oneof(
          { weight: 8, arbitrary: intIn(0, 59) },
          { weight: 1, arbitrary: intIn(0, 61) },
        ),
        fraction: fc.constantFrom('', '', '.5', '.123', '.123456789', '.'),
        zone: fc.constantFrom(
          'Z',
          'Z',
          'z',
          '+02:00',
          '+02:00',
          '-05:30',
          '+23:59',
          '-00:00',
          '+24:00',
          '',
          '+0200',
        ),
        t: fc.constantFrom('T', 'T', 'T', 't', ' '),
      })
      .map(
        (p) =>
          `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}${p.t}${pad(p.hour)}:${pad(p.minute)}:` +
          `${pad(p.second)}${p.fraction}${p.zone}`,
      ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'garbage',
      '2024-02-29T12:00:00Z',
      '2023-02-29T12:00:00Z',
      '1900-02-29T12:00:00Z',
      '2000-02-29T12:00:00Z',
      '2026-01-01',
      '2026-01-01T00:00Z',
      '+275760-09-13T00:00:00.000Z',
      '-000001-01-01T00:00:00Z',
      '２０２６-01-01T00:00:00Z',
    ),
  },
  { weight: 1, arbitrary: anyText },
  { weight: 1, arbitrary: anyJson },
);

/** A PATCH /api/downloads/{id} body. */
export const patchDownloadBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      priority: seldom(intIn(-1000, 1000)),
      position: seldom(
        fc.oneof(
          { weight: 8, arbitrary: intIn(0, 20) },
          { weight: 1, arbitrary: fc.constantFrom<Json>(10_000_000, 10_000_001, -1, 1.5) },
        ),
      ),
      scheduledAt: field(dateTime),
    }),
  },
  { weight: 1, arbitrary: anyJson },
);

/** A reorder body: to the head, before one download, after one, or (refused) both. */
export const reorderBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        required(idList),
        fc.constantFrom('head', 'head', 'before', 'after', 'before', 'after', 'both'),
        idRef,
        idRef,
        objectOf({}),
      )
      .map(([ids, where, a, b, extra]) => {
        const entries: Array<[string, Json]> = ids === undefined ? [] : [['ids', ids]];
        if (where === 'before' || where === 'both') entries.push(['before', a]);
        if (where === 'after' || where === 'both') entries.push(['after', b]);
        return new Entries([...entries, ...(extra as Entries).entries]);
      }),
  },
  { weight: 1, arbitrary: anyJson },
);

const FILTER_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'completed',
  'failed',
  'cancelled',
  'paused',
  'scheduled',
];
const batchFilter: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      status: seldom(
        fc.oneof(
          { weight: 8, arbitrary: fc.subarray(FILTER_STATUSES, { minLength: 1, maxLength: 3 }) },
          {
            weight: 1,
            arbitrary: fc.constantFrom<Json>(
              [],
              ['WAITING'],
              ['paused', 'held'],
              [...FILTER_STATUSES, 'waiting'],
            ),
          },
        ),
      ),
      text: seldom(fc.oneof(goodText(200), fc.constantFrom('', '%', '_', '\\', 'SEED'))),
      createdBefore: seldom(dateTime),
      createdAfter: seldom(dateTime),
    }),
  },
  { weight: 1, arbitrary: anyJson },
);

/** A batch body: ids or a filter (now and then both or neither), an action, a priority. */
export const batchBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.constantFrom('ids', 'ids', 'ids', 'ids', 'filter', 'filter', 'both', 'neither'),
        idList,
        batchFilter,
        fc.oneof(
          // Cancel and remove seldom: over a filter they finish or delete the whole pool.
          {
            weight: 20,
            arbitrary: fc.constantFrom(
              'cancel',
              'retry',
              'retry',
              'set_priority',
              'set_priority',
              'set_priority',
              'pause',
              'pause',
              'resume',
              'resume',
              'remove',
            ),
          },
          { weight: 1, arbitrary: fc.constantFrom<Json>('CANCEL', 'delete', '') },
          { weight: 1, arbitrary: anyJson },
        ),
        fc.oneof(
          { weight: 6, arbitrary: intIn(-1000, 1000) },
          { weight: 3, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom<Json>(1001, 1.5, null, '5') },
        ),
        objectOf({}),
      )
      .map(([by, ids, filter, action, priority, extra]) => {
        const entries: Array<[string, Json]> = [['action', action]];
        if (by === 'ids' || by === 'both') entries.push(['ids', ids]);
        if (by === 'filter' || by === 'both') entries.push(['filter', filter]);
        if (priority !== undefined) entries.push(['priority', priority]);
        return new Entries([...entries, ...(extra as Entries).entries]);
      }),
  },
  { weight: 1, arbitrary: anyJson },
);
