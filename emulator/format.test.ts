// Wire formats (.NET dates and time spans, flags, version features) and scenario loading.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { destinationDir, incompletePath, safeSegment } from './files.js';
import { isoDate, netTicks, timeSpan, toJson, versionFeatures } from './format.js';
import { parseQuery } from './peers.js';
import { loadScenario } from './scenario.js';

describe('format', () => {
  it('writes .NET "c" time spans', () => {
    expect(timeSpan(0)).toBe('00:00:00');
    expect(timeSpan(62_500)).toBe('00:01:02.5000000');
    expect(timeSpan(93_784_000)).toBe('1.02:03:04');
    expect(timeSpan(0.0001)).toBe('00:00:00.0000001');
  });

  it('writes UTC dates with up to 7 digits, trimmed, with or without Z', () => {
    const ms = Date.UTC(2025, 0, 1, 12, 0, 0, 123) + 0.4567;
    expect(isoDate(ms)).toBe('2025-01-01T12:00:00.1234567Z');
    expect(isoDate(ms, false)).toBe('2025-01-01T12:00:00.1234567');
    expect(isoDate(Date.UTC(2025, 0, 1, 12, 0, 0, 500))).toBe('2025-01-01T12:00:00.5Z');
    expect(isoDate(Date.UTC(2025, 0, 1))).toBe('2025-01-01T00:00:00Z');
  });

  it('omits nulls, computes .NET ticks and version features', () => {
    expect(toJson({ a: null, b: [null, 1], c: undefined, d: 0 })).toBe('{"b":[null,1],"d":0}');
    expect(netTicks(0)).toBe('621355968000000000');
    expect(versionFeatures('0.26.0')).toMatchObject({
      batches: true,
      removedField: true,
      retries: true,
    });
    expect(versionFeatures('0.25.1')).toMatchObject({
      batches: false,
      attemptsField: true,
      stateDescriptionField: true,
    });
    expect(versionFeatures('0.24.1').removeActiveThrows).toBe(true);
    expect(versionFeatures('0.22.0')).toMatchObject({
      legacyEnqueueBody: false,
      attemptsField: false,
    });
  });

  it('parses queries like Soulseek.NET', () => {
    expect(parseQuery('Sine  WAVES -live a -')).toEqual({
      terms: ['sine', 'waves'],
      exclusions: ['live'],
    });
  });
});

describe('files', () => {
  it('derives incomplete and destination paths without escaping their roots', () => {
    const remote = '@@x\\Music\\Artist\\Album (2001)\\01 - Song.flac';
    expect(incompletePath('/inc', 'bob', remote, true)).toBe(
      '/inc/bob/@@x/Music/Artist/Album (2001)/01 - Song.flac',
    );
    expect(incompletePath('/inc', 'bob', remote, false)).toBe('/inc/Album (2001)/01 - Song.flac');
    expect(destinationDir('/dl', undefined, { username: 'bob', remotePath: remote })).toBe(
      '/dl/Album (2001)',
    );
    expect(destinationDir('/dl', '{}', { username: 'bob', remotePath: remote })).toBe('/dl');
    expect(
      destinationDir('/dl', 'by/${SOURCE_USERNAME}', { username: 'b/../ob', remotePath: remote }),
    ).toBe('/dl/by/b/_/ob');
    expect(incompletePath('/inc', '..', '..\\..\\x.flac', true)).toBe('/inc/_/_/_/x.flac');
    expect(safeSegment('a\u0000b')).toBe('a_b');
  });
});

describe('scenario', () => {
  it('loads the demo scenario with paths resolved against the file', async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const scenario = await loadScenario(path.join(here, 'scenarios', 'demo.yaml'));
    expect(scenario.users.length).toBeGreaterThan(3);
    expect(scenario.users[0]?.files[0]?.localPath).toBe(
      path.resolve(here, '../fixtures/audio/tone-a.flac'),
    );
  });

  it('reports what is wrong with an invalid scenario', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'scenario-'));
    const file = path.join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        users: [{ username: 'x', files: [{ remotePath: 'a' }], behaviour: { speed: 1 } }],
      }),
    );
    await expect(loadScenario(file)).rejects.toThrow(/Invalid scenario/);
  });
});
