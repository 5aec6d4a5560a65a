import { Type, type Static } from 'typebox';
import { RankedCandidateSchema, RejectedCandidateSchema } from '../downloads/candidates.dto.js';
import { Text } from '../http/schemas.js';
import { UUID_FORMAT } from '../http/validation.js';

/**
 * POST /api/search: a search the user runs by hand, answered with the ranked results and the
 * rejected ones, each explained as GET /api/downloads/{id}/candidates explains a download's. Remote
 * names are a peer's text, sent as JSON strings; a client shows them as text, never as markup.
 */

export const SearchBody = Type.Object(
  {
    /** Free text, every word of which must be in a result's path ("radiohead karma police live"). */
    query: Type.Optional(Text({ minLength: 1, maxLength: 500, nonBlank: true })),
    artist: Type.Optional(Text({ minLength: 1, maxLength: 500, nonBlank: true })),
    title: Type.Optional(Text({ minLength: 1, maxLength: 500, nonBlank: true })),
    album: Type.Optional(Type.Union([Text({ maxLength: 500 }), Type.Null()])),
    durationSeconds: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0, maximum: 86_400 }), Type.Null()]),
    ),
    /** A quality profile's id; absent or null = the default profile. */
    qualityProfileId: Type.Optional(
      Type.Union([Type.String({ format: UUID_FORMAT }), Type.Null()]),
    ),
    /** Ranked results answered, at most (the best first); rejected ones are capped the same. Default 50. */
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);
export type SearchRequest = Static<typeof SearchBody>;

// POST /api/downloads takes a result's `source` (SourceBody, in http/schemas.ts with the body it is part of).
export { SourceBody, type SourceRequest } from '../http/schemas.js';

const Source = Type.Object({
  provider: Type.String(),
  username: Type.String(),
  filename: Type.String(),
  size: Type.Number(),
  bitRate: Type.Union([Type.Number(), Type.Null()]),
  sampleRate: Type.Union([Type.Number(), Type.Null()]),
  bitDepth: Type.Union([Type.Number(), Type.Null()]),
  lengthSeconds: Type.Union([Type.Number(), Type.Null()]),
});

export const SearchResultSchema = Type.Object({
  /** The search's id at the daemon (already deleted there: results are answered once). */
  searchId: Type.String(),
  /** The text sent to the daemon. */
  query: Type.String(),
  /** What the results were matched against: artist and title, or the free text's words. */
  target: Type.Object({
    artist: Type.Union([Type.String(), Type.Null()]),
    title: Type.Union([Type.String(), Type.Null()]),
    album: Type.Union([Type.String(), Type.Null()]),
    keywords: Type.Union([Type.String(), Type.Null()]),
  }),
  profile: Type.Object({ id: Type.String(), name: Type.String() }),
  /** Files the peers answered with, in all. */
  found: Type.Integer(),
  rankedTotal: Type.Integer(),
  rejectedTotal: Type.Integer(),
  /** The best `limit` ranked; `source` is what POST /api/downloads takes to fetch it. */
  ranked: Type.Array(Type.Object({ ...RankedCandidateSchema.properties, source: Source })),
  /** The first `limit` rejected, with the reason; one can still be fetched (the user overrides). */
  rejected: Type.Array(Type.Object({ ...RejectedCandidateSchema.properties, source: Source })),
});
export type SearchResultDto = Static<typeof SearchResultSchema>;
