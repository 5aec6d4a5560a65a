import type { DatabaseHandle } from '../db/database.js';

export interface SessionRow {
  tokenHash: string;
  createdAt: number;
  refreshedAt: number;
  expiresAt: number;
}

/** The `sessions` table (migration 024). Rows are keyed by the token's hash, never the token. */
export function createSessionRepository(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    async insert(row: SessionRow): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          token_hash: row.tokenHash,
          created_at: row.createdAt,
          refreshed_at: row.refreshedAt,
          expires_at: row.expiresAt,
        })
        .execute();
    },

    /** The session if it has not expired at `now`. */
    async findLive(tokenHash: string, now: number): Promise<SessionRow | undefined> {
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row
        ? {
            tokenHash: row.token_hash,
            createdAt: Number(row.created_at),
            refreshedAt: Number(row.refreshed_at),
            expiresAt: Number(row.expires_at),
          }
        : undefined;
    },

    /**
     * Moves the expiry forward, unless another request (in any process) did so since `seenRefresh`
     * or the session ended meanwhile; true when this call wrote.
     */
    async refresh(
      tokenHash: string,
      seenRefresh: number,
      now: number,
      expiresAt: number,
    ): Promise<boolean> {
      const result = await db
        .updateTable('sessions')
        .set({ refreshed_at: now, expires_at: expiresAt })
        .where('token_hash', '=', tokenHash)
        .where('refreshed_at', '=', seenRefresh)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async delete(tokenHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
    },

    /** Deletes the sessions that expired by `now`; returns how many. */
    async sweep(now: number): Promise<number> {
      const result = await db
        .deleteFrom('sessions')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
