import { Type, type Static } from 'typebox';
import { WHOLE_USER, type BlocklistRow } from './blocklist.repository.js';

/** A blocklist entry as the API sends it. One schema: validation, serialization, OpenAPI, types. */
export const BlocklistEntrySchema = Type.Object({
  id: Type.String(),
  /** The provider whose source it blocks (`slskd` for a Soulseek peer). */
  provider: Type.String(),
  username: Type.String(),
  /** null = every file of the user. */
  filename: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  /** auto: SoulSpot blocked it after failures; manual: added through the API. */
  source: Type.Union([Type.Literal('auto'), Type.Literal('manual')]),
  failureCount: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  /** null = permanent. */
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export type BlocklistEntryDto = Static<typeof BlocklistEntrySchema>;

export function toBlocklistEntryDto(row: BlocklistRow): BlocklistEntryDto {
  return {
    id: row.id,
    provider: row.provider,
    username: row.username,
    filename: row.filename === WHOLE_USER ? null : row.filename,
    reason: row.reason,
    source: row.source === 'manual' ? 'manual' : 'auto',
    failureCount: row.failure_count,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
  };
}
