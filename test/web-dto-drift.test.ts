import { Type, type TSchema } from 'typebox';
import { describe, expect, it } from 'vitest';
import { AlbumCountsSchema, AlbumSchema, AlbumTrackSchema } from '../src/albums/albums.dto.js';
import { BlocklistEntrySchema } from '../src/blocklist/blocklist.dto.js';
import {
  CandidatesSchema,
  RankedCandidateSchema,
  RejectedCandidateSchema,
} from '../src/downloads/candidates.dto.js';
import { AttemptSchema, DownloadSchema, SourceSchema } from '../src/downloads/download.dto.js';
import { BatchResultSchema } from '../src/http/routes/queue.routes.js';
import { HealthBody } from '../src/http/schemas.js';
import { NamingPreviewSchema } from '../src/naming/naming-preview.js';
import {
  CreatedTargetSchema,
  DeliverySchema,
  TestResultSchema,
} from '../src/notifications/notifications.dto.js';
import { QualityProfileSchema } from '../src/quality-profiles/quality-profiles.dto.js';
import {
  SourceHealthSchema,
  sourceSchema,
  TestResultSchema as SourceTestResultSchema,
} from '../src/sources/sources.dto.js';
import { StatsSchema } from '../src/stats/stats.dto.js';
import { DTO_KINDS, KIND_ORDER, type DtoName } from '../web/src/dto-keys.js';

const props = (schema: TSchema): Record<string, TSchema> =>
  (schema as { properties?: Record<string, TSchema> }).properties ?? {};
const itemsOf = (schema: TSchema | undefined): TSchema =>
  (schema as { items: TSchema } | undefined)?.items as TSchema;

type Json = Record<string, unknown>;

/**
 * The JSON kinds one schema's values may have ('unknown': any value), from the JSON Schema TypeBox
 * builds: a union is `anyOf`, a literal `const`, an enum `enum`, an integer `type: 'integer'`. A
 * shape this does not know (an intersection, a reference) fails the test rather than pass as
 * anything.
 */
function kindsOfSchema(schema: Json, where: string): Set<string> {
  const of = (value: unknown) =>
    value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (Array.isArray(schema.anyOf))
    return new Set((schema.anyOf as Json[]).flatMap((s) => [...kindsOfSchema(s, where)]));
  if ('const' in schema) return new Set([of(schema.const)]);
  if (Array.isArray(schema.enum)) return new Set(schema.enum.map(of));
  const type = schema.type;
  if (typeof type === 'string' || Array.isArray(type))
    return new Set(([] as string[]).concat(type).map((t) => (t === 'integer' ? 'number' : t)));
  if (Object.keys(schema).every((k) => ['description', 'title', 'examples'].includes(k)))
    return new Set(['unknown']);
  throw new Error(`${where}: a schema this test cannot read: ${JSON.stringify(schema)}`);
}

/** Each key of an object schema with its kind, as web/src/dto-keys.ts writes kinds. */
function serverKinds(schema: TSchema, name: string): Record<string, string> {
  const { properties = {}, required = [] } = schema as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.fromEntries(
    Object.entries(properties).map(([key, s]) => {
      const kinds = kindsOfSchema(s, `${name}.${key}`);
      const odd = [...kinds].filter((k) => k !== 'unknown' && !KIND_ORDER.includes(k as never));
      if (odd.length > 0)
        throw new Error(`${name}.${key}: a kind the UI table has no word for: ${odd}`);
      const kind = kinds.has('unknown')
        ? 'unknown'
        : KIND_ORDER.filter((k) => kinds.has(k)).join('|');
      return [key, `${kind}${required.includes(key) ? '' : '?'}`];
    }),
  );
}

/**
 * Each UI type (web/src/types.ts, its table of keys and kinds in web/src/dto-keys.ts) and the
 * server's TypeBox schema of the answer it reads. `Target` is the create answer: the target plus
 * the generated secret shown once.
 */
const SERVER: Record<DtoName, TSchema> = {
  Download: DownloadSchema,
  AttemptDto: AttemptSchema,
  FileDto: SourceSchema,
  RankedCandidate: RankedCandidateSchema,
  RejectedCandidate: RejectedCandidateSchema,
  Candidates: CandidatesSchema,
  BatchResult: BatchResultSchema,
  Album: AlbumSchema,
  AlbumTrack: AlbumTrackSchema,
  AlbumCounts: AlbumCountsSchema,
  BlocklistEntry: BlocklistEntrySchema,
  QualityProfile: QualityProfileSchema,
  NamingPreview: NamingPreviewSchema,
  Target: CreatedTargetSchema,
  Delivery: DeliverySchema,
  TestResult: TestResultSchema,
  IndexerDto: sourceSchema('indexer'),
  DownloadClientDto: sourceSchema('client'),
  SourceHealth: SourceHealthSchema,
  SourceTestResult: SourceTestResultSchema,
  Stats: StatsSchema,
  StatsGroup: itemsOf(props(StatsSchema).byFormat),
  StatsDay: itemsOf(props(StatsSchema).history),
  Health: HealthBody,
};

describe("the UI's DTOs match the server's response schemas", () => {
  it.each(Object.keys(DTO_KINDS) as DtoName[])(
    '%s: the same keys, each of the same kind',
    (name) => {
      const server = serverKinds(SERVER[name], name);
      expect(Object.keys(server).length, `${name} has no properties on the server`).toBeGreaterThan(
        0,
      );
      // One object compared whole: the diff names each key whose kind (or presence) differs.
      expect(DTO_KINDS[name], `${name}: web/src/dto-keys.ts (received), server (expected)`).toEqual(
        server,
      );
    },
  );

  it('covers every UI type it names, and the nested stats lists use one shape', () => {
    expect(Object.keys(SERVER).sort()).toEqual(Object.keys(DTO_KINDS).sort());
    for (const list of ['byProvider', 'bySource', 'topArtists'])
      expect(serverKinds(itemsOf(props(StatsSchema)[list]), list)).toEqual(DTO_KINDS.StatsGroup);
  });

  it('reads kinds from TypeBox as the UI table writes them', () => {
    const schema = Type.Object({
      a: Type.Integer(),
      b: Type.Union([Type.String(), Type.Null()]),
      c: Type.Optional(Type.Union([Type.Literal('x'), Type.Literal(2), Type.Null()])),
      d: Type.Enum(['p', 'q']),
      e: Type.Record(Type.String(), Type.Integer()),
      f: Type.Array(Type.String()),
      g: Type.Unknown(),
      h: Type.Optional(Type.Boolean()),
    });
    expect(serverKinds(schema, 'probe')).toEqual({
      a: 'number',
      b: 'string|null',
      c: 'string|number|null?',
      d: 'string',
      e: 'object',
      f: 'array',
      g: 'unknown',
      h: 'boolean?',
    });
    expect(KIND_ORDER).toEqual(['string', 'number', 'boolean', 'array', 'object', 'null']);
    expect(() =>
      serverKinds(
        Type.Object({
          x: Type.Intersect([Type.Object({ y: Type.String() }), Type.Object({ z: Type.String() })]),
        }),
        'probe',
      ),
    ).toThrow(/probe\.x/);
  });
});
