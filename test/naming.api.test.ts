import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { startSoulSpot, type SoulSpot } from '../src/main.js';
import { freshPgDatabase, testDialects } from './helpers/db.js';
import { API_KEY, fastEnv } from './helpers/stack.js';

/** The naming settings through PATCH /api/settings, and POST /api/naming/preview. */

async function call(s: SoulSpot, method: string, url: string, payload?: unknown) {
  const res = await s.app.inject({
    method: method as 'GET',
    url,
    headers: { 'x-api-key': API_KEY },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
}

describe.each(testDialects())('naming settings and preview on %s', (dialect) => {
  let s: SoulSpot;
  let root: string;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-naming-api-'));
    let databaseUrl: string | undefined;
    if (dialect === 'postgres') {
      const db = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      databaseUrl = db.url;
      drop = db.drop;
    }
    const config = loadConfig({
      ...fastEnv(root),
      // Nothing to reach: this instance only serves the API.
      SOULSPOT_SLSKD_URL: 'http://127.0.0.1:9',
      SOULSPOT_MULTI_DISC_NAMING_PATTERN:
        '{Album Artist Name}/{Album Title}/CD {medium:00}/{track:00} {Track Title}',
      ...(databaseUrl ? { SOULSPOT_DATABASE_URL: databaseUrl } : {}),
    });
    s = await startSoulSpot(config, { listen: false, runWorkers: false });
  });
  afterAll(async () => {
    await s.stop();
    await drop?.();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves the defaults (the environment for the multi-disc one)', async () => {
    const res = await call(s, 'GET', '/api/settings');
    expect(res.body).toMatchObject({
      namingPattern: '{Album Artist Name}/{Album Title}/{track:00} - {Track Title}',
      multiDiscNamingPattern:
        '{Album Artist Name}/{Album Title}/CD {medium:00}/{track:00} {Track Title}',
    });
  });

  it('refuses a bad pattern with a 400 naming the setting and the problem, storing nothing', async () => {
    const before = (await call(s, 'GET', '/api/settings')).body;
    for (const [payload, message] of [
      [
        { namingPattern: '{Artist Name}/{Album Name}/{Track Title}' },
        /^body\/namingPattern has an unknown token \{Album Name\}; known tokens: /,
      ],
      [
        { namingPattern: '{Artist Name}/{Album Title}' },
        /^body\/namingPattern has no \{Track Title\} or \{track\}/,
      ],
      [
        { multiDiscNamingPattern: '../{Track Title}' },
        /^body\/multiDiscNamingPattern has a "\.\." folder/,
      ],
      [{ namingPattern: '/srv/{Track Title}' }, /^body\/namingPattern starts with "\/"/],
      [
        { namingPattern: '{track:xx} {Track Title}' },
        /^body\/namingPattern \{track:xx\}: a number token takes zeros/,
      ],
      [{ namingPattern: '' }, /^body\/namingPattern must/],
      [{ namingPattern: `{Track Title}${'x'.repeat(600)}` }, /^body\/namingPattern must/],
      [{ namingPattern: 7 }, /^body\/namingPattern must be string/],
      // One bad key refuses the whole patch.
      [{ maxConcurrent: 4, namingPattern: '{Nope}' }, /^body\/namingPattern/],
    ] as const) {
      const res = await call(s, 'PATCH', '/api/settings', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(String(res.body.message), JSON.stringify(payload)).toMatch(message);
    }
    expect((await call(s, 'GET', '/api/settings')).body).toEqual(before);
  });

  it('previews the settings in force for the sample track, and as disc 2 of 2', async () => {
    const res = await call(s, 'POST', '/api/naming/preview', {});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      path: 'Nina Simone/Pastel Blues/07 - Sinnerman.flac',
      segments: ['Nina Simone', 'Pastel Blues', '07 - Sinnerman.flac'],
      multiDisc: false,
      pattern: '{Album Artist Name}/{Album Title}/{track:00} - {Track Title}',
      examples: {
        standard: 'Nina Simone/Pastel Blues/07 - Sinnerman.flac',
        multiDisc: 'Nina Simone/Pastel Blues/CD 02/07 Sinnerman.flac',
      },
    });
  });

  it('previews a given pattern and track without storing anything', async () => {
    const res = await call(s, 'POST', '/api/naming/preview', {
      namingPattern: '{Album Title} ({Release Year})/{Artist Name} - {track:00} - {Track Title}',
      track: {
        artist: 'AC/DC',
        title: 'Back: In Black?',
        album: 'Back in Black',
        trackNumber: 6,
        year: null,
        extension: 'MP3',
      },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      path: 'Back in Black/AC_DC - 06 - Back - In Black_.mp3',
      multiDisc: false,
    });
    const multi = await call(s, 'POST', '/api/naming/preview', {
      track: { artist: 'Björk', title: 'Jóga', album: 'Homogenic', discNumber: 2, trackNumber: 3 },
    });
    expect(multi.body).toMatchObject({
      path: 'Björk/Homogenic/CD 02/03 Jóga.flac',
      multiDisc: true,
      pattern: '{Album Artist Name}/{Album Title}/CD {medium:00}/{track:00} {Track Title}',
    });
    expect((await call(s, 'GET', '/api/settings')).body.namingPattern).toBe(
      '{Album Artist Name}/{Album Title}/{track:00} - {Track Title}',
    );
  });

  it('validates the preview body by schema and the patterns by their rules', async () => {
    for (const [payload, message] of [
      [{ namingPattern: '{Genre}' }, /^body\/namingPattern has no \{Track Title\}/],
      [
        { multiDiscNamingPattern: '{Disc}/{Track Title}' },
        /^body\/multiDiscNamingPattern has an unknown token \{Disc\}/,
      ],
      [{ track: { title: 'x' } }, /^body\/track\/artist is required/],
      [{ track: { artist: 'a', title: 'b', extension: '../x' } }, /^body\/track\/extension/],
      [{ track: { artist: 'a', title: 'b', discNumber: 0 } }, /^body\/track\/discNumber/],
      [{ pattern: '{Track Title}' }, /^body\/pattern is not a known field/],
    ] as const) {
      const res = await call(s, 'POST', '/api/naming/preview', payload);
      expect(res.status, JSON.stringify(payload)).toBe(400);
      expect(String(res.body.message), JSON.stringify(payload)).toMatch(message);
    }
  });

  it('a stored pattern applies to the preview at once and null puts the default back', async () => {
    const patched = await call(s, 'PATCH', '/api/settings', {
      namingPattern: '{Genre}/{Artist Name}/{Release Year} - {Album Title}/{track} {Track Title}',
    });
    expect(patched.status).toBe(200);
    expect((await call(s, 'POST', '/api/naming/preview', {})).body.path).toBe(
      'Jazz/Nina Simone/1965 - Pastel Blues/7 Sinnerman.flac',
    );
    await call(s, 'PATCH', '/api/settings', { namingPattern: null });
    expect((await call(s, 'POST', '/api/naming/preview', {})).body.path).toBe(
      'Nina Simone/Pastel Blues/07 - Sinnerman.flac',
    );
  });
});
