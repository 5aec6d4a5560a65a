import { sql, type Kysely } from 'kysely';

/**
 * Quality profiles (src/quality-profiles/, rules in src/matching/quality-profile.ts).
 *
 * Identity and flags are columns; the rules (formats, bounds, lists, `required`) are one JSON
 * column, read over the current defaults, so adding a condition later needs no migration and a row
 * written before it simply gets the new field's default.
 * - `name_key` is the name folded for comparison (NFKC, lower case; computed in JavaScript, the same
 *   on both engines: SQLite's lower() folds ASCII only). Its unique index makes names unique.
 * - The partial unique index allows one row with is_default = 1 at most; the service makes another
 *   profile the default in the same transaction as it clears the old one.
 * - Booleans are integers 0/1 on both engines.
 *
 * The built-ins are seeded with the values below, a frozen copy: BUILT_IN_PROFILES in
 * src/matching/quality-profile-builtins.ts must equal them (test/quality-profiles.api.test.ts), so
 * changing a built-in in code means a new migration for existing installations.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('quality_profiles')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('built_in', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await sql`CREATE UNIQUE INDEX quality_profiles_name ON quality_profiles (name_key)`.execute(db);
  await sql`CREATE UNIQUE INDEX quality_profiles_one_default ON quality_profiles (is_default) WHERE is_default = 1`.execute(
    db,
  );

  const common = {
    minBitrate: null,
    maxBitrate: null,
    minSampleRate: null,
    maxSampleRate: null,
    minBitDepth: null,
    maxBitDepth: null,
    minFileSizeMb: null,
    maxFileSizeMb: null,
    durationToleranceSeconds: 5,
    excludeKeywords: [],
    excludeUsers: [],
    preferLossless: false,
    allowLossy: true,
  };
  const always = ['duration', 'excludeKeywords', 'excludeUsers'];
  const seeds = [
    {
      id: '00000000-0000-4000-8000-000000000001',
      name: 'Audiophile',
      description: 'Lossless only, FLAC first; CD quality or better preferred.',
      isDefault: 0,
      rules: {
        ...common,
        preferredFormats: ['flac', 'alac', 'ape', 'wv', 'aiff', 'aif', 'wav'],
        minSampleRate: 44_100,
        minBitDepth: 16,
        preferLossless: true,
        allowLossy: false,
        required: [...always, 'format', 'lossless'],
      },
    },
    {
      id: '00000000-0000-4000-8000-000000000002',
      name: 'Balanced',
      description: 'FLAC, or a lossy file of at least 256 kbps.',
      isDefault: 0,
      rules: {
        ...common,
        preferredFormats: ['flac', 'mp3', 'm4a', 'aac', 'ogg', 'opus'],
        minBitrate: 256,
        preferLossless: true,
        required: [...always, 'bitrate'],
      },
    },
    {
      id: '00000000-0000-4000-8000-000000000003',
      name: 'Space Saver',
      description: 'MP3, AAC or Ogg Vorbis at 192–320 kbps; files under 15 MB preferred.',
      isDefault: 0,
      rules: {
        ...common,
        preferredFormats: ['mp3', 'm4a', 'aac', 'ogg'],
        minBitrate: 192,
        maxBitrate: 320,
        maxFileSizeMb: 15,
        required: [...always, 'format', 'bitrate'],
      },
    },
    {
      id: '00000000-0000-4000-8000-000000000004',
      name: 'Any',
      description: 'Any audio format; the best quality on offer wins (lossless first).',
      isDefault: 1,
      rules: { ...common, preferredFormats: [], required: always },
    },
  ];
  const now = Date.now();
  await (db as Kysely<{ quality_profiles: Record<string, unknown> }>)
    .insertInto('quality_profiles')
    .values(
      seeds.map((s) => ({
        id: s.id,
        name: s.name,
        name_key: s.name.toLowerCase(),
        description: s.description,
        rules: JSON.stringify(s.rules),
        is_default: s.isDefault,
        built_in: 1,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('quality_profiles').execute();
}
