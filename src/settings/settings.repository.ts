import type { Selectable } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import type { SettingsTable } from '../db/schema.js';

export type SettingRow = Selectable<SettingsTable>;

/** Settings SQL. A key without a row has its default; writing null means deleting the row. */
export function createSettingsRepository(handle: DatabaseHandle) {
  const { db } = handle;
  return {
    /** Every stored setting (a handful of rows: read whole on each refresh). */
    all(): Promise<SettingRow[]> {
      return db.selectFrom('settings').selectAll().execute();
    },

    /** Stores these values and removes the keys set back to their default, in one transaction. */
    async write(
      set: { key: string; value: string }[],
      reset: string[],
      now: number,
    ): Promise<void> {
      await handle.writeTx(async (tx) => {
        for (const { key, value } of set) {
          await tx
            .insertInto('settings')
            .values({ key, value, updated_at: now })
            .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
            .execute();
        }
        if (reset.length > 0) await tx.deleteFrom('settings').where('key', 'in', reset).execute();
      });
    },
  };
}

export type SettingsRepository = ReturnType<typeof createSettingsRepository>;
