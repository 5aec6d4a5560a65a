import { Type, type Static } from 'typebox';
import { CLIENT_TYPES, INDEXER_TYPES } from './source-config.js';

/**
 * The wire shapes of /api/indexers and /api/download-clients (README, "Sources"). A source's
 * `settings` are its adapter's (torznab.settings.ts; qbittorrent/sabnzbd/nzbget *.settings.ts)
 * plus `allowPrivateAddress`; the service checks them against those schemas. Secrets are write-
 * only: sent in `settings` (`apiKey` or `password`), answered only as `secrets.<name>.set`.
 */

export const SOURCE_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,39}$';

export const SourceIdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 40, pattern: SOURCE_ID_PATTERN }),
});

const Settings = Type.Record(Type.String(), Type.Unknown(), {
  description:
    "the adapter's settings (url, apiKey or username/password, …) and allowPrivateAddress; secrets are write-only",
});

const typeOf = (role: 'indexer' | 'client') =>
  Type.Union((role === 'indexer' ? INDEXER_TYPES : CLIENT_TYPES).map((t) => Type.Literal(t)));

export const SourceHealthSchema = Type.Object({
  state: Type.Union([
    Type.Literal('ok'),
    Type.Literal('failing'),
    Type.Literal('disabled'),
    Type.Literal('unknown'),
  ]),
  circuit: Type.Union([Type.Literal('closed'), Type.Literal('open'), Type.Literal('half-open')]),
  lastError: Type.Optional(Type.String()),
  lastCheckedAt: Type.Optional(Type.String()),
});

export const sourceSchema = (role: 'indexer' | 'client') =>
  Type.Object({
    id: Type.String(),
    type: typeOf(role),
    enabled: Type.Boolean(),
    position: Type.Integer(),
    source: Type.Union([Type.Literal('api'), Type.Literal('environment')]),
    settings: Type.Record(Type.String(), Type.Unknown()),
    secrets: Type.Record(Type.String(), Type.Object({ set: Type.Boolean() })),
    health: SourceHealthSchema,
    /** null for an entry from the environment. */
    updatedAt: Type.Union([Type.String(), Type.Null()]),
  });

export const createSourceBody = (role: 'indexer' | 'client') =>
  Type.Object(
    {
      id: Type.String({
        pattern: SOURCE_ID_PATTERN,
        description: 'a slug: lower-case letters, digits and -, at most 40; unique; not slskd',
      }),
      type: typeOf(role),
      enabled: Type.Optional(Type.Boolean({ default: true })),
      position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      settings: Settings,
    },
    { additionalProperties: false },
  );

export const updateSourceBody = (role: 'indexer' | 'client') =>
  Type.Object(
    {
      type: Type.Optional(typeOf(role)),
      enabled: Type.Optional(Type.Boolean()),
      position: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
      settings: Type.Optional(
        Type.Record(Type.String(), Type.Unknown(), {
          description:
            'fields given replace the stored ones; the secret absent keeps the stored one, null clears it (refused where the adapter needs one)',
        }),
      ),
    },
    { additionalProperties: false },
  );

export const testSourceBody = (role: 'indexer' | 'client') =>
  Type.Object(
    {
      id: Type.Optional(Type.String({ pattern: SOURCE_ID_PATTERN })),
      type: Type.Optional(typeOf(role)),
      settings: Type.Optional(Settings),
    },
    {
      additionalProperties: false,
      description:
        'a full unsaved config ({type, settings}), or {id, ...overrides} to test a stored one with its stored secret',
    },
  );

export const TestResultSchema = Type.Object({
  ok: Type.Boolean(),
  message: Type.String(),
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export type SourceDto = Static<ReturnType<typeof sourceSchema>>;
export type CreateSourceBody = Static<ReturnType<typeof createSourceBody>>;
export type UpdateSourceBody = Static<ReturnType<typeof updateSourceBody>>;
export type TestSourceBody = Static<ReturnType<typeof testSourceBody>>;
export type TestResult = Static<typeof TestResultSchema>;
