import fc from 'fast-check';
import {
  anyJson,
  anyText,
  blocklistBody,
  bulkBody,
  downloadBody,
  payloadFor,
  serialize,
  type Json,
} from './api-arbitraries.js';
import { batchBody, patchDownloadBody, reorderBody } from './api-arbitraries-queue.js';
import { settingsPatchBody } from './api-arbitraries-settings.js';
import { BAD_ENCODINGS, CONTENT_ENCODINGS, CONTENT_TYPES, type Method } from './api-oracle.js';

/**
 * fast-check generators for whole requests to every route: headers (API key, content types,
 * content encodings), ids in paths, list query strings, and bodies from api-arbitraries.ts.
 */

/** Headers of a request with a body; `key` false sends no API key. */
export const bodyHeaders = fc.record({
  key: fc.oneof(
    { weight: 30, arbitrary: fc.constant(true) },
    { weight: 1, arbitrary: fc.constant(false) },
  ),
  contentType: fc.oneof(
    { weight: 30, arbitrary: fc.constant('application/json') },
    { weight: 4, arbitrary: fc.constantFrom(...Object.keys(CONTENT_TYPES)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  contentEncoding: encodingHeader(),
});

export function encodingHeader(): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 30, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(...CONTENT_ENCODINGS) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_ENCODINGS) },
  );
}

/** An id in a path: a real one (resolved when the request runs) or anything else, encoded. */
export type IdChoice = { known: 'download' | 'blocklist'; index: number } | { raw: string };
export const idChoice: fc.Arbitrary<IdChoice> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      known: fc.constantFrom('download', 'blocklist'),
      index: fc.nat(),
    }) as fc.Arbitrary<IdChoice>,
  },
  { weight: 2, arbitrary: fc.uuid().map((raw) => ({ raw })) },
  { weight: 1, arbitrary: fc.uuid().map((u) => ({ raw: u.toUpperCase() })) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        '%00',
        'abc%00def',
        '%ff',
        '%ED%A0%80',
        '%c0%af',
        '%',
        '%2F',
        'not-a-uuid',
        'x'.repeat(100),
        'x'.repeat(101),
        '%41'.repeat(34),
        '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e1',
        '0b6c3f3e-8f5a-4d57-9d0e-5a2f2b7c1e11%00',
      )
      .map((raw) => ({ raw })),
  },
  { weight: 2, arbitrary: anyText.filter((t) => t !== '').map((t) => ({ raw: encodePart(t) })) },
);

/** A download's id for the routes that change one: a real download mostly, so that 200s happen. */
const downloadId: fc.Arbitrary<IdChoice> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.nat().map((index): IdChoice => ({ known: 'download', index })),
  },
  { weight: 1, arbitrary: idChoice },
);

/** Percent-encodes text for a URL; a lone surrogate goes as the bytes of U+FFFD, as browsers do. */
export function encodePart(text: string): string {
  return [...Buffer.from(text)]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');
}

const STATUS_NAMES = [
  'waiting',
  'queued',
  'failed',
  'cancelled',
  'completed',
  'sleeping',
  'WAITING',
];
/** A query value: text to percent-encode, characters sent as they are, or a real cursor. */
export type QueryValue = { text: string } | { raw: string } | { cursor: 'known' };
const asText = (a: fc.Arbitrary<string>) => a.map((text): QueryValue => ({ text }));
const asRaw = (...raw: string[]) => fc.constantFrom(...raw).map((r): QueryValue => ({ raw: r }));
const queryValue: Record<string, fc.Arbitrary<QueryValue>> = {
  status: fc.oneof(
    asText(
      fc
        .subarray(STATUS_NAMES, { maxLength: 3 })
        .chain((names) =>
          fc.constantFrom(names.join(','), names.join(' , '), `${names.join(',')},`),
        ),
    ),
    asRaw('waiting+,+failed', '%00', 'waiting%00', '%ff', 'queued%2Cfailed'),
    asText(anyText),
  ),
  limit: fc.oneof(
    asText(fc.integer({ min: -5, max: 600 }).map(String)),
    asText(fc.constantFrom('1.5', '1e2', '0x10', ' 7', '', 'abc', 'Infinity', '1e400')),
    asRaw('+5', '5+', '%00', '%ff', '1%2B1'),
  ),
  cursor: fc.oneof(
    fc.constant<QueryValue>({ cursor: 'known' }),
    asText(anyJson.map((v) => Buffer.from(serialize(v)).toString('base64url'))),
    asText(
      fc
        .tuple(fc.oneof(fc.integer(), fc.double()), fc.oneof(fc.uuid(), anyText))
        .map((t) => Buffer.from(JSON.stringify(t)).toString('base64url')),
    ),
    asText(anyText),
    asRaw('%00', '%ff', '+', '=='),
  ),
  order: fc.oneof(
    asText(fc.constantFrom('newest', 'oldest', 'NEWEST', '', 'random')),
    asText(anyText),
  ),
  other: asText(anyText),
};

export type QueryPair = [string, QueryValue];
export const listQuery: fc.Arbitrary<QueryPair[]> = fc.array(
  fc.oneof(
    ...(['status', 'limit', 'cursor', 'order'] as const).map((k) =>
      queryValue[k]!.map((v): QueryPair => [k, v]),
    ),
    fc
      .tuple(
        fc.constantFrom('foo', '', '__proto__', 'Status', 'limit[]', '\u0000'),
        queryValue.other!,
      )
      .map(([k, v]): QueryPair => [k, v]),
  ),
  { maxLength: 4 },
);

/** A request before its known ids and cursors are filled in. */
export interface RequestSpec {
  method: Method;
  path: Array<string | IdChoice>;
  query: QueryPair[];
  key: boolean;
  contentType?: string;
  contentEncoding?: string;
  payload?: Buffer;
}

const withBody = (
  method: Method,
  path: RequestSpec['path'],
  body: fc.Arbitrary<Json>,
  bodyWeight: number,
): fc.Arbitrary<RequestSpec> =>
  fc
    .tuple(
      bodyHeaders,
      fc.oneof(
        { weight: bodyWeight, arbitrary: body.chain(payloadFor) },
        { weight: 4, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
      ),
    )
    .map(([h, payload]) => ({
      method,
      path,
      query: [],
      key: h.key,
      ...(payload !== undefined && h.contentType !== undefined
        ? { contentType: h.contentType }
        : {}),
      ...(h.contentEncoding !== undefined ? { contentEncoding: h.contentEncoding } : {}),
      ...(payload !== undefined ? { payload } : {}),
    }));

const bodyless = (path: fc.Arbitrary<RequestSpec['path']>, query = fc.constant<QueryPair[]>([])) =>
  fc.tuple(path, query, bodyHeaders).map(([p, q, h]): RequestSpec => ({
    method: 'GET',
    path: p,
    query: q,
    key: h.key,
    ...(h.contentEncoding !== undefined ? { contentEncoding: h.contentEncoding } : {}),
  }));

export const anyRequest: fc.Arbitrary<RequestSpec> = fc.oneof(
  { weight: 8, arbitrary: withBody('POST', ['api', 'downloads'], downloadBody, 20) },
  { weight: 9, arbitrary: withBody('POST', ['api', 'downloads', 'bulk'], bulkBody, 20) },
  { weight: 4, arbitrary: bodyless(fc.constant(['api', 'downloads']), listQuery) },
  { weight: 3, arbitrary: bodyless(idChoice.map((id) => ['api', 'downloads', id])) },
  {
    weight: 2,
    arbitrary: idChoice.chain((id) => withBody('DELETE', ['api', 'downloads', id], anyJson, 1)),
  },
  {
    weight: 2,
    arbitrary: idChoice.chain((id) =>
      withBody('POST', ['api', 'downloads', id, 'retry'], anyJson, 1),
    ),
  },
  { weight: 1, arbitrary: bodyless(fc.constant(['api', 'blocklist']), listQuery) },
  { weight: 5, arbitrary: withBody('POST', ['api', 'blocklist'], blocklistBody, 20) },
  {
    weight: 2,
    arbitrary: idChoice.chain((id) => withBody('DELETE', ['api', 'blocklist', id], anyJson, 1)),
  },
  { weight: 1, arbitrary: bodyless(fc.constant(['api', 'health']), listQuery) },
  // Queue control and settings (README, Queue control).
  { weight: 1, arbitrary: bodyless(fc.constant(['api', 'settings']), listQuery) },
  { weight: 6, arbitrary: withBody('PATCH', ['api', 'settings'], settingsPatchBody, 20) },
  {
    weight: 6,
    arbitrary: downloadId.chain((id) =>
      withBody('PATCH', ['api', 'downloads', id], patchDownloadBody, 20),
    ),
  },
  { weight: 5, arbitrary: withBody('POST', ['api', 'downloads', 'reorder'], reorderBody, 20) },
  { weight: 6, arbitrary: withBody('POST', ['api', 'downloads', 'batch'], batchBody, 20) },
  { weight: 1, arbitrary: bodyless(fc.constant(['api', 'queue']), listQuery) },
  { weight: 1, arbitrary: withBody('POST', ['api', 'queue', 'pause'], anyJson, 1) },
  { weight: 1, arbitrary: withBody('POST', ['api', 'queue', 'resume'], anyJson, 1) },
);
