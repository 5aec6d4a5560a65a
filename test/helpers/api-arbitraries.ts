import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { BUILT_IN_IDS } from '../../src/matching/quality-profile-builtins.js';

/**
 * fast-check generators for values, bodies and payloads: mostly valid so that 2xx paths are
 * exercised, mixed with hostile ones (NUL, lone surrogates, NFKD-expanding and wide characters,
 * lengths at and over the limits, fractions, huge and raw number tokens, wrong types, unknown and
 * prototype keys, deep nesting, bytes that are not UTF-8, gzip, truncation, oversize).
 */

/** A JSON value as text JSON.stringify cannot make: "1e400", "-0", 30-digit integers. */
export class RawJson {
  constructor(readonly text: string) {}
}
/** An object as ordered entries, so "__proto__" is a plain key and duplicates survive. */
export class Entries {
  constructor(readonly entries: Array<[string, Json]>) {}
}
export type Json = null | boolean | number | string | RawJson | Entries | Json[];

export function serialize(v: Json): string {
  if (v instanceof RawJson) return v.text;
  if (v instanceof Entries)
    return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  // NaN and ±Infinity are written as null, as JSON.stringify does.
  return JSON.stringify(v);
}

const PIECES = [
  '\u0000',
  '\ud800',
  '\udbff',
  '\udc00',
  '\udfff',
  '🎵',
  'é',
  'e\u0301',
  '\ufdfa',
  ' ',
  '\t',
  '\n',
  '\u00a0',
  '\ufeff',
  '\u2028',
  '"',
  '\\',
  '%',
  '+',
  '&',
  '=',
  ',',
  '/',
  '?',
  '#',
  'ß',
  '\u202e',
  '\u0001',
  '\u007f',
  '\uffff',
  'Æ',
];

/** Any text, hostile or not. */
export const anyText: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ unit: 'binary', maxLength: 4 })), {
        maxLength: 8,
      })
      .map((a) => a.join('')),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom(99, 100, 101, 199, 200, 201, 499, 500, 501, 999, 1000, 1001, 4001),
        fc.constantFrom('x', '字', '𠀀', ' ', '\ufdfa'),
      )
      .map(([n, c]) => c.repeat(n)),
  },
);

const rawNumbers = [
  '1e400',
  '-1e400',
  '1.0',
  '1E2',
  '-0',
  '123456789012345678901234567890',
  '0.0000000000000000000000001',
  '5e-324',
].map((t) => new RawJson(t));

export const anyNumber: fc.Arbitrary<number | RawJson> = fc.oneof(
  fc.integer({ min: -2000, max: 2000 }),
  fc.double(),
  fc.constantFrom(0, -0, 0.5, 1.5, 215.4, 5e-324, 86_400, 86_400.0001, 1e21, 2 ** 53, 36_500),
  fc.constantFrom(...rawNumbers),
);

const deep = fc
  .integer({ min: 1, max: 5000 })
  .chain((n) =>
    fc.constantFrom(
      new RawJson('['.repeat(n) + ']'.repeat(n)),
      new RawJson('{"a":'.repeat(n) + '1' + '}'.repeat(n)),
    ),
  );

/** Any JSON value, nested a little, or very deeply. */
export const anyJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    anyText,
    anyNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc
      .array(fc.tuple(fc.oneof(anyText, fc.constantFrom('__proto__', 'a')), tie('v')), {
        maxLength: 3,
      })
      .map((e) => new Entries(e)),
    deep,
  ),
})).v;

/** Valid text of at most `max` code points; `nonBlank` has a non-space character. */
export const goodText = (max: number, nonBlank = false): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 5, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('x', '字', '𠀀', '\ufdfa').map((c) => c.repeat(max)),
      },
      { weight: 1, arbitrary: fc.constantFrom(' padded ', 'Ünïcödé 🎵', 'AC/DC', 'Sigur Rós') },
    )
    .filter((s) => [...s].length <= max && (!nonBlank || /\S/u.test(s)));

/** A field: usually valid or absent, sometimes anything at all (one field in ~15). */
export function field(valid: fc.Arbitrary<Json>, nullable = true): fc.Arbitrary<Json | undefined> {
  return fc.oneof(
    { weight: 20, arbitrary: valid },
    { weight: 8, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: anyJson },
    ...(nullable ? [{ weight: 2, arbitrary: fc.constant(null) }] : []),
  );
}
/** A required field: present and valid but now and then. */
export function required(valid: fc.Arbitrary<Json>): fc.Arbitrary<Json | undefined> {
  return fc.oneof(
    { weight: 30, arbitrary: valid },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: anyJson },
  );
}
export const intIn = (min: number, max: number) => fc.integer({ min, max });
const positiveUpTo = (max: number) =>
  fc.oneof(
    fc.double({ min: 0, max, noNaN: true }).filter((v) => v > 0),
    fc.integer({ min: 1, max }),
  );

/** A valid `scheduledAt`: a past or future ISO time, or one close to now (either side of the server's clock). */
const validScheduleTime: fc.Arbitrary<Json> = fc.oneof(
  fc
    .date({ min: new Date('1970-01-01Z'), max: new Date('9999-12-31Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  // Relative to now when generated, so that "soon" exists at all.
  fc
    .integer({ min: -3_600_000, max: 86_400_000 })
    .map((ms) => new Date(Date.now() + ms).toISOString()),
);

/** A create's `scheduledAt`: absent mostly; valid, null, or a spelling RFC 3339 refuses. */
const scheduleTime: fc.Arbitrary<Json | undefined> = fc.oneof(
  { weight: 24, arbitrary: fc.constant(undefined) },
  { weight: 6, arbitrary: validScheduleTime },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Json>(
      null,
      'tomorrow',
      '2026-02-30T00:00:00Z',
      '2026-01-01',
      '2026-01-01T00:00:00',
      1_900_000_000_000,
    ),
  },
);

/**
 * A create's `qualityProfileId`: absent mostly; a built-in (the only profiles the fuzz's server
 * has), null, a well-formed id of no profile, or a spelling the uuid format refuses.
 */
const profileId: fc.Arbitrary<Json | undefined> = fc.oneof(
  { weight: 20, arbitrary: fc.constant(undefined) },
  { weight: 4, arbitrary: fc.constantFrom<Json>(...Object.values(BUILT_IN_IDS)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<Json>(
      null,
      '0f0f0f0f-0000-4000-8000-00000000abcd',
      BUILT_IN_IDS.any.replace(/0/g, 'A'),
      'audiophile',
      4,
    ),
  },
);

export function objectOf(
  fields: Record<string, fc.Arbitrary<Json | undefined>>,
): fc.Arbitrary<Json> {
  // An unknown or prototype key in one object in ~15.
  const extra = fc.oneof(
    { weight: 14, arbitrary: fc.constant(null) },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.constantFrom('titel', '__proto__', 'constructor', 'id', 'status', ''),
        anyJson,
      ),
    },
  );
  return fc.tuple(fc.record(fields), extra).map(([record, more]) => {
    const entries = Object.entries(record).filter((e): e is [string, Json] => e[1] !== undefined);
    if (more) entries.push(more);
    return new Entries(entries);
  });
}

/** The tag fields of a create (post-processing): valid values and near misses. */
const tagFields = {
  trackTotal: field(intIn(1, 999)),
  discTotal: field(intIn(1, 99)),
  isrc: field(
    fc.constantFrom<Json>('USRC17607839', 'GBAAA9500123', 'usrc17607839', 'US-RC1-76-07839'),
  ),
  musicbrainzRecordingId: field(
    fc.oneof(
      fc.uuid({ version: 4 }),
      fc.constantFrom<Json>('8F3471B5-7E6A-48DA-86A9-C1C07A0F47AE'),
    ),
  ),
  coverUrl: field(
    fc.constantFrom<Json>(
      'https://coverartarchive.org/release/x/front.jpg',
      'http://img.example/a.png?size=500',
      'ftp://img.example/a.png',
      'https://',
      'https://img.example/a b.png',
    ),
  ),
};

export const downloadBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      artist: field(goodText(500, true), false),
      title: field(goodText(500, true), false),
      album: field(goodText(500)),
      albumArtist: field(goodText(500)),
      trackNumber: field(intIn(1, 999)),
      discNumber: field(intIn(1, 99)),
      year: field(intIn(1, 9999)),
      genre: field(goodText(200)),
      durationSeconds: field(positiveUpTo(86_400)),
      priority: field(intIn(-1000, 1000), false),
      scheduledAt: scheduleTime,
      qualityProfileId: profileId,
      ...tagFields,
    }),
  },
  { weight: 1, arbitrary: anyJson },
);

/** A track of a bulk request: artist and title there but now and then, so whole requests pass. */
const bulkItem: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      artist: required(goodText(500, true)),
      title: required(goodText(500, true)),
      album: field(goodText(500)),
      trackNumber: field(intIn(1, 999)),
      durationSeconds: field(positiveUpTo(86_400)),
      priority: field(intIn(-1000, 1000), false),
      scheduledAt: fc.option(validScheduleTime, { nil: undefined, freq: 4 }),
      qualityProfileId: profileId,
    }),
  },
  { weight: 1, arbitrary: downloadBody },
);

/** A bulk request: a few tracks (often repeating one), sometimes broken in its shape. */
export const bulkBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.array(bulkItem, { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(
        ([items, repeat]) =>
          new Entries([['items', repeat ? [...items, items[0] ?? null] : items]]),
      ),
  },
  { weight: 1, arbitrary: fc.constant(new Entries([['items', []]])) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.array(downloadBody, { maxLength: 2 }),
        fc.constantFrom('item', 'extra', '__proto__'),
      )
      .map(
        ([items, key]) =>
          new Entries([
            ['items', items],
            [key, 1],
          ]),
      ),
  },
  { weight: 1, arbitrary: fc.array(downloadBody, { maxLength: 2 }) },
  { weight: 1, arbitrary: anyJson },
);

export const blocklistBody: fc.Arbitrary<Json> = fc.oneof(
  {
    weight: 12,
    arbitrary: objectOf({
      // The fuzzed app has slskd only: any other id is a 400, and so is null.
      provider: field(fc.constantFrom<Json>('slskd', 'usenet', 'SLSKD', '')),
      username: required(goodText(100, true)),
      filename: field(goodText(500, true)),
      reason: field(goodText(1000)),
      expiresInDays: field(positiveUpTo(36_500)),
    }),
  },
  { weight: 1, arbitrary: anyJson },
);

const BAD_BYTES = [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88]];

/** The bytes sent for a JSON value: usually its UTF-8 text, sometimes broken in one way. */
export const payloadFor = (body: Json): fc.Arbitrary<Buffer> => {
  const text = serialize(body);
  const bytes = Buffer.from(text);
  return fc.oneof(
    { weight: 30, arbitrary: fc.constant(bytes) },
    { weight: 1, arbitrary: fc.constant(Buffer.concat([Buffer.from('\ufeff'), bytes])) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.nat(bytes.length), fc.constantFrom(...BAD_BYTES))
        .map(([at, bad]) =>
          Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)]),
        ),
    },
    { weight: 1, arbitrary: fc.nat(bytes.length).map((at) => bytes.subarray(0, at)) },
    { weight: 1, arbitrary: fc.constant(gzipSync(bytes)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)) },
    { weight: 1, arbitrary: fc.constant(Buffer.concat([bytes, Buffer.alloc(70_000, 0x20)])) },
  );
};
