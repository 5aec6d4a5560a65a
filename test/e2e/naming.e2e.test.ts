import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { sha, filesUnder } from '../helpers/files.js';
import { startStack, type Stack } from '../helpers/stack.js';

const AUDIO = path.resolve(import.meta.dirname, '..', '..', 'fixtures', 'audio');
const TONE_A = path.join(AUDIO, 'tone-a.flac');
const TONE_B = path.join(AUDIO, 'tone-b.flac');

/**
 * The naming settings decide where the next filed download goes, end to end: slskd emulator, real
 * HTTP, real files. A bad pattern is refused and the one in force stays.
 */
describe.each(testDialects())('naming patterns when filing (%s)', (dialect) => {
  let stack: Stack;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: [
        {
          username: 'shelf',
          files: [
            { remotePath: '@@s\\Music\\Aster\\Garden\\01 - Morning.flac', localPath: TONE_A },
            { remotePath: '@@s\\Music\\Aster\\Garden\\02 - Noon.flac', localPath: TONE_B },
            { remotePath: '@@s\\Music\\Aster\\Garden CD2\\01 - Dusk.flac', localPath: TONE_A },
            { remotePath: '@@s\\Music\\Aster\\Other Days\\05 - Noon.flac', localPath: TONE_A },
          ],
        },
      ],
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  async function file(request: Record<string, unknown>): Promise<DownloadDto> {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', request);
    expect([200, 201]).toContain(created.status);
    const id = created.body.id;
    const [done] = await stack
      .waitFor((items) => {
        const d = items.find((x) => x.id === id);
        return d !== undefined && (d.status === 'completed' || d.status === 'failed');
      }, 60_000)
      .then((items) => items.filter((x) => x.id === id));
    expect(done?.status, done?.errorMessage ?? '').toBe('completed');
    return done as DownloadDto;
  }

  const inLibrary = (...segments: string[]) => path.join(stack.config.libraryDir, ...segments);

  it('files by the default layout, then by each pattern as soon as it is set', async () => {
    const first = await file({
      artist: 'Aster',
      title: 'Morning',
      album: 'Garden',
      trackNumber: 1,
    });
    expect(first.libraryPath).toBe(inLibrary('Aster', 'Garden', '01 - Morning.flac'));

    const patched = await stack.api('PATCH', '/api/settings', {
      namingPattern: '{Artist Name} - {Album Title} ({Release Year})/{track:00}. {Track Title}',
      multiDiscNamingPattern:
        '{Artist Name} - {Album Title} ({Release Year})/CD{medium}/{track:00}. {Track Title}',
    });
    expect(patched.status).toBe(200);

    const second = await file({
      artist: 'Aster',
      title: 'Noon',
      album: 'Garden',
      trackNumber: 2,
      year: 2001,
    });
    expect(second.libraryPath).toBe(inLibrary('Aster - Garden (2001)', '02. Noon.flac'));
    expect(sha(second.libraryPath as string)).toBe(sha(TONE_B));

    const third = await file({
      artist: 'Aster',
      title: 'Dusk',
      album: 'Garden',
      trackNumber: 1,
      discNumber: 2,
      year: 2001,
    });
    expect(third.libraryPath).toBe(inLibrary('Aster - Garden (2001)', 'CD2', '01. Dusk.flac'));

    // A bad pattern is a 400 and changes nothing: the next file still follows the last good one.
    const refused = await stack.api<{ message: string }>('PATCH', '/api/settings', {
      namingPattern: '{Artist Name}/{Album}/{Track Title}',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^body\/namingPattern has an unknown token \{Album\}/);

    // A pattern without the album puts two different "Noon" files on one name: the second is
    // " (2)", the first is untouched (the same bytes again would be adopted, not copied).
    expect(
      (await stack.api('PATCH', '/api/settings', { namingPattern: '{Artist Name}/{Track Title}' }))
        .status,
    ).toBe(200);
    const studio = await file({ artist: 'Aster', title: 'Noon', album: 'Garden' });
    const other = await file({ artist: 'Aster', title: 'Noon', album: 'Other Days' });
    expect(studio.libraryPath).toBe(inLibrary('Aster', 'Noon.flac'));
    expect(other.libraryPath).toBe(inLibrary('Aster', 'Noon (2).flac'));
    expect(sha(inLibrary('Aster', 'Noon.flac'))).toBe(sha(TONE_B));
    expect(sha(inLibrary('Aster', 'Noon (2).flac'))).toBe(sha(TONE_A));
    expect(filesUnder(stack.config.libraryDir)).toHaveLength(5);
  });
});
