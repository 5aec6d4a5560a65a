import fc from 'fast-check';
import {
  anyJson,
  anyText,
  Entries,
  intIn,
  objectOf,
  required,
  type Json,
} from './api-arbitraries.js';
import { namingPattern, transcodeAction } from './api-arbitraries-naming.js';

/**
 * fast-check generators for PATCH /api/settings bodies: each setting inside its range mostly, at
 * and just past its edges, sometimes anything; time zones and weekly windows valid or nearly so.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** A number setting: inside its range mostly, at its edges, or just outside them. */
function setting(min: number, max: number, integer: boolean): fc.Arbitrary<Json> {
  const inside = integer
    ? fc.integer({ min, max })
    : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
  const outside = [min - 1, max + 1, integer ? min + 0.5 : -1, String(min)];
  return fc.oneof(
    { weight: 8, arbitrary: inside },
    { weight: 2, arbitrary: fc.constantFrom(min, max) },
    { weight: 1, arbitrary: fc.constantFrom<Json>(...outside) },
  );
}

/** A settings key: absent mostly, so that a patch of a few keys is usually valid as a whole. */
const key = (valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> =>
  fc.oneof(
    { weight: 60, arbitrary: fc.constant(undefined) },
    { weight: 12, arbitrary: valid },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: anyJson },
  );

const DAY_WORDS = ['mon', 'Tue', 'wednesday', 'THU', 'fri', 'sat', 'Sunday', 'tues', 'sunny'];
const days: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.tuple(fc.constantFrom(...DAY_WORDS), fc.option(fc.constantFrom(...DAY_WORDS))), {
        minLength: 1,
        maxLength: 3,
      })
      .chain((parts) =>
        fc
          .constantFrom(',', ' , ', ',,')
          .map((sep) => parts.map(([a, b]) => (b === null ? a : `${a}-${b}`)).join(sep)),
      ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'mon-fri',
      'sat,sun',
      '*',
      ' DAILY ',
      'all',
      'fri-mon',
      'MON - FRI',
      'monxyz',
      'mo',
      'mon-',
      'mon-tue-wed',
      'weekdays',
      'mon,*',
      '',
      'x'.repeat(41),
      'mon,'.repeat(10).slice(0, 40),
    ),
  },
  { weight: 1, arbitrary: anyText },
);
const clock: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.tuple(intIn(0, 23), intIn(0, 59)).map(([h, m]) => `${pad(h)}:${pad(m)}`),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '24:00',
      '23:60',
      '1:00',
      '01:00 ',
      '0100',
      'ab:cd',
      '１２:００',
      '00:00',
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
const timeWindows: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.array(
      objectOf({ days: required(days), from: required(clock), to: required(clock) }),
      { maxLength: 3 },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(20, 21).map((n) =>
      Array.from(
        { length: n },
        () =>
          new Entries([
            ['days', '*'],
            ['from', '01:00'],
            ['to', '02:00'],
          ]),
      ),
    ),
  },
  { weight: 1, arbitrary: anyJson },
);
const timeZone: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      'UTC',
      'utc',
      'Europe/Berlin',
      'europe/berlin',
      'America/New_York',
      'Asia/Kolkata',
      'Asia/Calcutta',
      'Etc/GMT+5',
      'Pacific/Chatham',
      'Mars/Olympus',
      '+05:30',
      'Europe/Berlin ',
      'Europe',
      '',
      'x'.repeat(65),
    ),
  },
  { weight: 1, arbitrary: anyText },
);

/** A key that is mostly there: the patches below are about these settings. */
const often = (valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant(null) },
  );

/**
 * A PATCH /api/settings body about the settings checked beyond their schema (the naming patterns,
 * transcodeAction), now and then with another setting beside them. The body above sends these too,
 * but too seldom, among a dozen others, for a run to see each both taken and refused.
 */
export const checkedSettingsPatchBody: fc.Arbitrary<Json> = objectOf({
  namingPattern: often(namingPattern),
  multiDiscNamingPattern: often(namingPattern),
  transcodeAction: often(transcodeAction),
  maxRetries: key(setting(0, 100, true)),
});

/**
 * A PATCH /api/settings body. maxQueueSize stays 0 (no limit) or far above what a run creates:
 * a small one would turn the run's own POSTs into 429s, a state the request alone cannot show.
 */
export const settingsPatchBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      maxConcurrent: key(setting(1, 10_000, true)),
      maxConcurrentFiling: key(setting(1, 1000, true)),
      maxFilingBacklog: key(setting(0, 100_000, true)),
      maxQueuedAtSource: key(setting(0, 100_000, true)),
      maxConcurrentPerUser: key(setting(1, 1000, true)),
      maxQueueSize: key(
        fc.oneof(
          fc.constantFrom<Json>(0, 10_000_000, -1, 10_000_001, 0.5),
          fc.integer({ min: 50_000, max: 10_000_000 }),
        ),
      ),
      maxRetries: key(setting(0, 100, true)),
      retryBackoffSeconds: key(
        fc.oneof(
          {
            weight: 8,
            arbitrary: fc.array(setting(0, 604_800, false), { minLength: 1, maxLength: 4 }),
          },
          {
            weight: 1,
            arbitrary: fc.constantFrom<Json>([], Array<Json>(20).fill(1), Array<Json>(21).fill(1)),
          },
        ),
      ),
      stallTimeoutSeconds: key(setting(1, 604_800, true)),
      searchTimeoutSeconds: key(setting(1, 600, true)),
      blocklistFailures: key(setting(1, 1000, true)),
      blocklistWindowHours: key(setting(0.001, 8760, false)),
      blocklistDays: key(setting(0.0001, 3650, false)),
      queuePaused: key(fc.oneof(fc.boolean(), fc.constantFrom<Json>('true', 0, 1))),
      timeZone: key(timeZone),
      timeWindows: key(timeWindows),
      namingPattern: key(namingPattern),
      multiDiscNamingPattern: key(namingPattern),
      transcodeAction: key(transcodeAction),
      backupRetention: key(setting(1, 1000, true)),
    }),
  },
  { weight: 1, arbitrary: anyJson },
);
