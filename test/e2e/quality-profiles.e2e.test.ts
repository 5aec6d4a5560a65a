import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SimUser } from '../../emulator/emulator.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { BUILT_IN_IDS } from '../../src/matching/quality-profile-builtins.js';
import type { QualityProfileDto } from '../../src/quality-profiles/quality-profiles.dto.js';
import { makeTone } from '../helpers/audio.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { sha } from '../helpers/files.js';
import { startStack, type Stack } from '../helpers/stack.js';

const ARTIST = 'Prism Avenue';
const TITLES = ['Night Ferry', 'Glass Harbour', 'Wire Garden'];
/** A peer's name that is markup: it must come back as the same text, never as HTML. */
const HOSTILE =
  '@@h\\Music\\<b>Prism Avenue</b>\\<script>alert(1)</script> Night Ferry (Live).flac';

/**
 * Two peers share every title: one a FLAC (16 bit, 22.05 kHz, as the tone is made), the other an
 * MP3 at 320 kbps on a free slot. Space Saver, made the default here, takes the MP3; Audiophile
 * the FLAC; a copy of Audiophile that requires 44.1 kHz takes neither.
 */
async function share(dir: string) {
  const flacs = TITLES.map((_, i) => path.join(dir, `t${i}.flac`));
  const mp3 = path.join(dir, 'mp3-320.mp3');
  for (const [i, f] of flacs.entries())
    await makeTone(f, { seconds: 3, frequency: 300 + 40 * i, format: 'flac' });
  await makeTone(mp3, { seconds: 3, frequency: 200, format: 'mp3', bitrateKbps: 320 });
  const users: SimUser[] = [
    {
      username: 'flacpeer',
      files: TITLES.map((t, i) => ({
        remotePath: `@@f\\Music\\${ARTIST}\\Harbour Lights (2019)\\0${i + 1} - ${t}.flac`,
        localPath: flacs[i] as string,
        bitDepth: 16,
        sampleRate: 22_050,
      })),
    },
    {
      username: 'mp3peer',
      files: TITLES.map((t, i) => ({
        remotePath: `@@m\\mp3\\${ARTIST}\\Harbour Lights\\0${i + 1} - ${t}.mp3`,
        localPath: mp3,
        bitRate: 320,
      })),
    },
    { username: 'html', files: [{ remotePath: HOSTILE, localPath: flacs[0] as string }] },
  ];
  return { users, flacs };
}

describe.each(testDialects())('downloads with quality profiles (%s)', (dialect) => {
  let stack: Stack;
  let flacs: string[];
  let pgDb: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    const built = await share(mkdtempSync(path.join(tmpdir(), 'soulspot-profiles-')));
    flacs = built.flacs;
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: built.users,
      env: { SOULSPOT_MAX_RETRIES: '1' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await stack?.close();
    await pgDb?.drop();
  });

  const request = (title: string, extra: object = {}) =>
    stack.api<DownloadDto>('POST', '/api/downloads', { artist: ARTIST, title, ...extra });
  const finished = (id: string) =>
    stack
      .waitFor((items) =>
        items.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
      )
      .then((items) => items.find((d) => d.id === id) as DownloadDto);

  it('takes the FLAC under Audiophile where the default profile takes the MP3 320', async () => {
    const made = await stack.api('PATCH', `/api/quality-profiles/${BUILT_IN_IDS.spaceSaver}`, {
      isDefault: true,
    });
    expect(made.status).toBe(200);

    const picky = await request(TITLES[0] as string, { qualityProfileId: BUILT_IN_IDS.audiophile });
    const plain = await request(TITLES[1] as string);
    expect(picky.status).toBe(201);
    expect(picky.body.qualityProfileId).toBe(BUILT_IN_IDS.audiophile);
    expect(plain.body.qualityProfileId).toBeNull();

    const a = await finished(picky.body.id);
    expect(a.status, a.errorMessage ?? '').toBe('completed');
    expect(a.source?.username).toBe('flacpeer');
    expect(sha(a.libraryPath!)).toBe(sha(flacs[0] as string));
    const b = await finished(plain.body.id);
    expect(b.status, b.errorMessage ?? '').toBe('completed');
    expect(b.source?.username).toBe('mp3peer');
    expect(b.source?.extension).toBe('mp3');

    // The breakdown: the FLAC first, missing Audiophile's preferred 44.1 kHz; the MP3 rejected by
    // its required conditions; the live take by the ranking's own rule, its markup returned as text.
    const res = await fetch(`${stack.soulspot.url}/api/downloads/${a.id}/candidates`, {
      headers: { 'x-api-key': 'test-api-key-0123456789' },
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const c = (await res.json()) as CandidatesDto;
    expect(c.profile).toEqual({ id: BUILT_IN_IDS.audiophile, name: 'Audiophile' });
    expect(c.ranked.map((r) => [r.rank, r.username])).toEqual([[1, 'flacpeer']]);
    expect(c.ranked[0]?.profileParts).toEqual([
      { condition: 'sampleRate', points: -1, reason: 'sample rate 22050 Hz, below 44100 Hz' },
    ]);
    expect(c.ranked[0]?.notes).toContain('sample rate 22050 Hz, below 44100 Hz');
    const mp3 = c.rejected.find((r) => r.username === 'mp3peer');
    expect(mp3?.conditions).toEqual(['format', 'lossless']);
    expect(mp3?.reason).toContain('lossy (mp3)');
    const html = c.rejected.find((r) => r.username === 'html');
    expect(html).toMatchObject({
      filename: HOSTILE,
      reason: 'live, not requested',
      conditions: [],
    });
    expect(c.rejectedTotal).toBe(c.rejected.length);

    // The default path explains itself too: Space Saver's name, the FLAC rejected by format.
    const d = await stack.api<CandidatesDto>('GET', `/api/downloads/${b.id}/candidates`);
    expect(d.body.profile?.name).toBe('Space Saver');
    expect(d.body.rejected.find((r) => r.username === 'flacpeer')?.conditions).toEqual(['format']);
  });

  it('fails a download its profile rejects everything for, with the reasons, and guards the profile', async () => {
    const strict = await stack.api<QualityProfileDto>('POST', '/api/quality-profiles', {
      name: 'CD or better, strictly',
      copyOf: BUILT_IN_IDS.audiophile,
      required: ['duration', 'excludeKeywords', 'excludeUsers', 'format', 'lossless', 'sampleRate'],
    });
    expect(strict.status).toBe(201);
    const created = await request(TITLES[2] as string, { qualityProfileId: strict.body.id });
    expect(created.status).toBe(201);

    // While it is unfinished its profile cannot go: it asked for lossless, not for the default.
    const early = await stack.api<{ message: string }>(
      'DELETE',
      `/api/quality-profiles/${strict.body.id}`,
    );
    expect(early.status).toBe(409);
    expect(early.body.message).toMatch(/quality profile of 1 unfinished download;/);

    const d = await finished(created.body.id);
    expect(d.status).toBe('failed');
    expect(d.errorCode).toBe('no_results');
    expect(d.errorMessage).toMatch(/all rejected \(.*1× format\+lossless.*\)/);
    expect(d.errorMessage).toMatch(/1× sampleRate/);
    expect(d.errorMessage).toContain('by the quality profile "CD or better, strictly"');
    expect(stack.emulator.enqueues.some((e) => e.filename.endsWith(`${TITLES[2]}.mp3`))).toBe(
      false,
    );

    const c = await stack.api<CandidatesDto>('GET', `/api/downloads/${d.id}/candidates`);
    expect(c.status).toBe(200);
    expect(c.body.ranked).toEqual([]);
    const flac = c.body.rejected.find((r) => r.username === 'flacpeer');
    expect(flac?.conditions).toEqual(['sampleRate']);
    expect(flac?.reason).toBe('sample rate 22050 Hz, below 44100 Hz');

    // Finished, it no longer holds the profile; the download lets go of it.
    const gone = await stack.api('DELETE', `/api/quality-profiles/${strict.body.id}`);
    expect(gone.status).toBe(204);
    const after = await stack.api<DownloadDto>('GET', `/api/downloads/${d.id}`);
    expect(after.body.qualityProfileId).toBeNull();
  });
});
