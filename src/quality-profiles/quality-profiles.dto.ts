import { Type, type Static } from 'typebox';
import { UUID_FORMAT } from '../http/validation.js';
import { Text } from '../http/schemas.js';

/**
 * The API's shapes for quality profiles: one TypeBox schema each drives validation, serialization,
 * OpenAPI and the types. Only what a schema can say clearly is checked here (types, ranges, unknown
 * fields); rules across fields (min ≤ max, known format and condition names, allowLossy agreeing
 * with `required`) are the service's, with messages that name the field.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

const rulesFields = {
  /** Extensions in order of preference, e.g. ["flac", "mp3"]; empty = any audio format. */
  preferredFormats: Type.Array(Text({ minLength: 1, maxLength: 10 }), {
    maxItems: 20,
    uniqueItems: true,
  }),
  /** kbps, lossy files only. */
  minBitrate: Nullable(Type.Number({ minimum: 0, maximum: 100_000 })),
  maxBitrate: Nullable(Type.Number({ minimum: 0, maximum: 100_000 })),
  /** Hz. */
  minSampleRate: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  maxSampleRate: Nullable(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  minBitDepth: Nullable(Type.Integer({ minimum: 0, maximum: 64 })),
  maxBitDepth: Nullable(Type.Integer({ minimum: 0, maximum: 64 })),
  /** MB of 1,000,000 bytes. */
  minFileSizeMb: Nullable(Type.Number({ minimum: 0, maximum: 1_000_000 })),
  maxFileSizeMb: Nullable(Type.Number({ minimum: 0, maximum: 1_000_000 })),
  durationToleranceSeconds: Type.Number({ minimum: 0, maximum: 3600 }),
  excludeKeywords: Type.Array(Text({ minLength: 1, maxLength: 200, nonBlank: true }), {
    maxItems: 200,
  }),
  excludeUsers: Type.Array(Text({ minLength: 1, maxLength: 100, nonBlank: true }), {
    maxItems: 1000,
  }),
  preferLossless: Type.Boolean(),
  /** false = lossy files are rejected; the same as `required` naming "lossless". */
  allowLossy: Type.Boolean(),
  /** Names of the conditions that reject; the other active conditions rank. */
  required: Type.Array(Text({ minLength: 1, maxLength: 50 }), { maxItems: 20, uniqueItems: true }),
  /** Indexer ids to search in order, falling back to the next; empty = all, configured order. */
  providers: Type.Array(Text({ minLength: 1, maxLength: 64, nonBlank: true }), {
    maxItems: 20,
    uniqueItems: true,
  }),
};

const identityFields = {
  name: Text({ minLength: 1, maxLength: 100, nonBlank: true }),
  description: Text({ maxLength: 1000 }),
  /** true makes this the default (the old default stops being it); false cannot be set on the default. */
  isDefault: Type.Boolean(),
};

export const QualityProfileSchema = Type.Object({
  id: Type.String(),
  ...identityFields,
  ...rulesFields,
  /** One of the four profiles every installation starts with: editable and copyable, not deletable. */
  builtIn: Type.Boolean(),
});
export type QualityProfileDto = Static<typeof QualityProfileSchema>;

const optional = <T extends Record<string, Parameters<typeof Type.Optional>[0]>>(fields: T) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Type.Optional(v)])) as {
    [K in keyof T]: ReturnType<typeof Type.Optional<T[K]>>;
  };

/** Fields not sent take the copied profile's values (copyOf) or else the "Any" rules. */
export const CreateQualityProfileBody = Type.Object(
  {
    name: identityFields.name,
    /** Start from this profile's rules (a built-in or any other), then apply the fields sent. */
    copyOf: Type.Optional(Type.String({ format: UUID_FORMAT })),
    ...optional({ description: identityFields.description, isDefault: identityFields.isDefault }),
    ...optional(rulesFields),
  },
  { additionalProperties: false },
);
export type CreateQualityProfile = Static<typeof CreateQualityProfileBody>;

/** Fields not sent keep their value; null clears a bound. */
export const PatchQualityProfileBody = Type.Object(
  { ...optional(identityFields), ...optional(rulesFields) },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchQualityProfile = Static<typeof PatchQualityProfileBody>;
