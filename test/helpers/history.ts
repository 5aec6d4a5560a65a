import { randomUUID } from 'node:crypto';
import type { DatabaseHandle } from '../../src/db/database.js';
import { newDownloadRow } from '../../src/downloads/accept.js';
import { createDownloadRepository } from '../../src/downloads/download.repository.js';

/**
 * Builds a download history with fixed clocks, for statistics and export tests: downloads go in
 * through the download repository, an attempt names the source, and status changes are plain
 * UPDATEs of the status (what every write path does), so the statistics triggers see them as
 * they see a worker's or a command's.
 */
export function historyWriter(handle: DatabaseHandle) {
  const repo = createDownloadRepository(handle);
  const { db } = handle;
  return {
    async add(spec: {
      artist: string;
      title?: string;
      createdAt: number;
      source?: { ext: string; peer: string; size: number; speed: number | null };
    }): Promise<string> {
      const row = newDownloadRow(
        { artist: spec.artist, title: spec.title ?? `Track ${randomUUID()}` },
        spec.createdAt,
        3,
      );
      const { row: created } = await repo.insertUnlessActive(row);
      if (spec.source) {
        const attemptId = randomUUID();
        const s = spec.source;
        await db
          .insertInto('attempts')
          .values({
            id: attemptId,
            download_id: created.id,
            round: 0,
            provider: 'slskd',
            username: s.peer,
            filename: `@@music\\${spec.artist}\\track.${s.ext}`,
            size: s.size,
            extension: s.ext,
            bit_rate: null,
            sample_rate: null,
            bit_depth: null,
            length_seconds: null,
            batch_id: randomUUID(),
            transfer_id: null,
            state: 'succeeded',
            error_code: null,
            error_message: null,
            local_path: null,
            target_path: null,
            requeues: 0,
            created_at: spec.createdAt,
            updated_at: spec.createdAt,
            finished_at: spec.createdAt,
            transfer_speed: s.speed,
          })
          .execute();
        await db
          .updateTable('downloads')
          .set({ current_attempt_id: attemptId, size: s.size })
          .where('id', '=', created.id)
          .execute();
      }
      return created.id;
    },

    /** Moves a download to `status` at `at` (completed_at set when completed). */
    async set(
      id: string,
      status: string,
      at: number,
      errorCode: string | null = null,
    ): Promise<void> {
      await db
        .updateTable('downloads')
        .set({
          status,
          updated_at: at,
          completed_at: status === 'completed' ? at : null,
          error_code: errorCode,
        })
        .where('id', '=', id)
        .execute();
    },

    async remove(id: string): Promise<void> {
      await db.deleteFrom('downloads').where('id', '=', id).execute();
    },
  };
}
