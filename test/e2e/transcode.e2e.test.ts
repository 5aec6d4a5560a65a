import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { sha } from '../helpers/files.js';
import { startStack, type Stack } from '../helpers/stack.js';
import {
  corruptMiddle,
  makeMp3Transcode,
  makePinkFlac,
  makeSteepResampledFlac,
} from '../helpers/transcode-audio.js';

const ARTIST = 'Lowpass Choir';

/**
 * A fast peer offers FLACs that are MP3 128 kbps files converted back (made with ffmpeg here) and
 * a FLAC damaged in its middle; a slow peer has the real FLAC of the first title and a genuine
 * master resampled with a steep filter (its spectrum stops near 21 kHz) of the third. Ranked by
 * speed, the fast peer's file is tried first.
 */
async function share(dir: string) {
  const real = path.join(dir, 'real.flac');
  const fake = path.join(dir, 'fake.flac');
  const steep = path.join(dir, 'steep.flac');
  const broken = path.join(dir, 'broken.flac');
  await makePinkFlac(real, { seconds: 8 });
  await makeMp3Transcode(real, fake, 128);
  await makeSteepResampledFlac(steep, 8);
  await makePinkFlac(broken, { seconds: 40 });
  await corruptMiddle(broken, broken);
  const remote = (user: string, title: string) =>
    `@@${user}\\Music\\${ARTIST}\\Filters (2020)\\0${title.length % 9} - ${title}.flac`;
  const users: SimUser[] = [
    {
      username: 'fastfake',
      behaviour: { uploadSpeed: 40_000_000 },
      files: [
        ...['Cut Off', 'Kept Anyway'].map((t) => ({ remotePath: remote('f', t), localPath: fake })),
        { remotePath: remote('f', 'Steep Filter'), localPath: broken },
      ],
    },
    {
      username: 'slowreal',
      behaviour: { uploadSpeed: 400_000 },
      files: [
        { remotePath: remote('r', 'Cut Off'), localPath: real },
        { remotePath: remote('r', 'Steep Filter'), localPath: steep },
      ],
    },
  ];
  return { users, real, fake, steep };
}

const finished = (stack: Stack, id: string) =>
  stack
    .waitFor((items) =>
      items.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
    )
    .then((items) => items.find((d) => d.id === id) as DownloadDto);

describe.each(testDialects())('fake-lossless check at filing (%s)', (dialect) => {
  let stack: Stack;
  let files: { real: string; fake: string; steep: string };
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const built = await share(mkdtempSync(path.join(tmpdir(), 'soulspot-transcode-e2e-')));
    files = built;
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: built.users,
      env: { SOULSPOT_MAX_RETRIES: '0' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  it('rejects the fake FLAC (invalid_file) and files the next peer’s real one', async () => {
    const health = await stack.api<{ transcode: { available: boolean } }>('GET', '/api/health');
    expect(health.body.transcode.available).toBe(true);

    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Cut Off',
    });
    expect(created.status).toBe(201);
    const d = await finished(stack, created.body.id);
    expect(d.status, d.errorMessage ?? '').toBe('completed');
    expect(d.source?.username).toBe('slowreal');
    expect(sha(d.libraryPath!)).toBe(sha(files.real));
    expect(d).toMatchObject({ transcodeCheck: 'clean', suspectTranscode: false });
    expect(d.transcodeCutoffHz).toBeNull();

    const [first, second] = d.attempts;
    expect(first).toMatchObject({
      username: 'fastfake',
      outcome: 'failed',
      errorCode: 'invalid_file',
      transcodeCheck: 'suspect',
      suspectTranscode: true,
    });
    expect(first?.errorMessage).toMatch(/^suspected transcode, spectrum stops at \d+ Hz/);
    expect(first?.transcodeCutoffHz).toBeGreaterThan(15_500);
    expect(first?.transcodeCutoffHz).toBeLessThan(17_600);
    expect(second).toMatchObject({ username: 'slowreal', suspectTranscode: false });

    // The candidates list shows each checked source's result, the fake one ranked first.
    const c = await stack.api<CandidatesDto>('GET', `/api/downloads/${d.id}/candidates`);
    expect(c.body.ranked.map((r) => [r.username, r.transcodeCheck, r.suspectTranscode])).toEqual([
      ['fastfake', 'suspect', true],
      ['slowreal', 'clean', false],
    ]);
    expect(c.body.ranked[0]?.transcodeCutoffHz).toBe(first?.transcodeCutoffHz);
  });

  it('fails a file that decodes only in part, and files a steep-filtered master unflagged', async () => {
    // transcodeAction is still "reject": neither outcome may depend on it.
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Steep Filter',
    });
    const d = await finished(stack, created.body.id);
    expect(d.status, d.errorMessage ?? '').toBe('completed');
    expect(d.source?.username).toBe('slowreal');
    expect(sha(d.libraryPath!)).toBe(sha(files.steep));
    // The cliff near Nyquist is reported, not suspected.
    expect(d).toMatchObject({ transcodeCheck: 'inconclusive', suspectTranscode: false });
    expect(d.transcodeCutoffHz).toBeGreaterThan(20_400);
    const [first, second] = d.attempts;
    expect(first).toMatchObject({
      username: 'fastfake',
      outcome: 'failed',
      errorCode: 'invalid_file',
      transcodeCheck: null,
    });
    expect(first?.errorMessage).toMatch(/^The downloaded file does not decode: /);
    expect(second).toMatchObject({ username: 'slowreal', transcodeCheck: 'inconclusive' });
  });

  it('keeps the file with the flag when transcodeAction is "warn"', async () => {
    const set = await stack.api('PATCH', '/api/settings', { transcodeAction: 'warn' });
    expect(set.status).toBe(200);
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Kept Anyway',
    });
    const d = await finished(stack, created.body.id);
    expect(d.status, d.errorMessage ?? '').toBe('completed');
    expect(sha(d.libraryPath!)).toBe(sha(files.fake));
    expect(d).toMatchObject({ transcodeCheck: 'suspect', suspectTranscode: true });
    expect(d.transcodeCutoffHz).toBeGreaterThan(15_500);
    expect(d.transcodeCutoffHz).toBeLessThan(17_600);
    const bad = await stack.api('PATCH', '/api/settings', { transcodeAction: 'shrug' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('transcodeAction');
  });
});

describe('fake-lossless check without ffmpeg', () => {
  let stack: Stack;
  beforeAll(async () => {
    const built = await share(mkdtempSync(path.join(tmpdir(), 'soulspot-transcode-e2e-')));
    stack = await startStack({
      users: built.users.filter((u) => u.username === 'fastfake'),
      env: { SOULSPOT_MAX_RETRIES: '0', SOULSPOT_FFMPEG_PATH: '/nonexistent/bin/ffmpeg' },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('says so in /api/health and records the file as skipped, not as passed', async () => {
    const health = await stack.api<{
      status: string;
      transcode: { available: boolean; message: string };
    }>('GET', '/api/health');
    expect(health.body.transcode).toEqual({
      available: false,
      message: 'ffmpeg not found (/nonexistent/bin/ffmpeg): the transcode check is skipped',
    });
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Cut Off',
    });
    const d = await finished(stack, created.body.id);
    expect(d.status, d.errorMessage ?? '').toBe('completed');
    expect(d).toMatchObject({ transcodeCheck: 'skipped', suspectTranscode: null });
    expect(d.attempts[0]).toMatchObject({ transcodeCheck: 'skipped', suspectTranscode: null });
  });
});
