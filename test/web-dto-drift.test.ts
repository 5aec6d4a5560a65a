import type { TSchema } from 'typebox';
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
import { StatsSchema } from '../src/stats/stats.dto.js';
import { DTO_KEYS, type DtoName } from '../web/src/dto-keys.js';

const props = (schema: TSchema): Record<string, TSchema> =>
  (schema as { properties?: Record<string, TSchema> }).properties ?? {};
const itemsOf = (schema: TSchema | undefined): TSchema =>
  (schema as { items: TSchema } | undefined)?.items as TSchema;

/**
 * Each UI type (web/src/types.ts, its key list in web/src/dto-keys.ts) and the server's TypeBox
 * schema of the answer it reads. `Target` is the create answer: the target plus the generated
 * secret shown once.
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
  Stats: StatsSchema,
  StatsGroup: itemsOf(props(StatsSchema).byFormat),
  StatsDay: itemsOf(props(StatsSchema).history),
  Health: HealthBody,
};

describe("the UI's DTOs match the server's response schemas", () => {
  it.each(Object.keys(DTO_KEYS) as DtoName[])('%s: the same keys', (name) => {
    const server = Object.keys(props(SERVER[name])).sort();
    expect(server.length, `${name} has no properties on the server`).toBeGreaterThan(0);
    expect([...DTO_KEYS[name]].sort()).toEqual(server);
  });

  it('covers every UI type it names, and the nested stats lists use one shape', () => {
    expect(Object.keys(SERVER).sort()).toEqual(Object.keys(DTO_KEYS).sort());
    for (const list of ['byProvider', 'bySource', 'topArtists'])
      expect(Object.keys(props(itemsOf(props(StatsSchema)[list]))).sort()).toEqual(
        [...DTO_KEYS.StatsGroup].sort(),
      );
  });
});
