import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import type { NzbgetGroup, NzbgetHistoryItem } from './nzbget.api.js';
import {
  classifyNzbget,
  isOurs,
  mapGroup,
  mapHistory,
  PARAM_FILE,
  PARAM_SOURCE,
} from './nzbget.mapping.js';
import { NzbgetSettingsSchema, nzbgetSettings, nzbgetSettingsView } from './nzbget.settings.js';
import { decodeWant, encodeWant } from './usenet-want.js';

const BATCH = '0a1b2c3d-0000-4000-8000-000000000002';
const job = {
  NZBID: 7,
  NZBName: `Artist - Album.ss-${BATCH}`,
  Category: 'soulspot',
  DestDir: '/downloads/soulspot/x',
  FileSizeLo: 5,
  FileSizeHi: 1,
  Parameters: [
    { Name: PARAM_SOURCE, Value: 'my-indexer' },
    { Name: PARAM_FILE, Value: '02 - Beta.flac' },
  ],
};

describe('NZBGet mapping', () => {
  it('a queue group: 64-bit sizes, progress, source and file from its parameters', () => {
    const group: NzbgetGroup = {
      ...job,
      Status: 'DOWNLOADING',
      RemainingSizeLo: 5,
      RemainingSizeHi: 0,
    };
    expect(mapGroup(group)).toMatchObject({
      id: '7',
      username: 'my-indexer',
      filename: '02 - Beta.flac',
      size: 2 ** 32 + 5,
      bytesTransferred: 2 ** 32,
      state: 'in_progress',
      batchId: BATCH,
    });
  });

  it('a failed history item: health in the message, unpack detail kept in raw for the classifier', () => {
    const item: NzbgetHistoryItem = {
      ...job,
      Status: 'FAILURE/HEALTH',
      Health: 764,
      CriticalHealth: 850,
      FailedArticles: 1,
    };
    const t = mapHistory(item);
    expect(t.state).toBe('errored');
    expect(t.exception).toMatch(/health 76.4% \(critical 85.0%\)/);
    expect(classifyNzbget(t).code).toBe('file_not_found');
    const locked = mapHistory({ ...item, Status: 'FAILURE/UNPACK', UnpackStatus: 'PASSWORD' });
    expect(locked.raw).toBe('FAILURE/UNPACK (unpack PASSWORD)');
    expect(classifyNzbget(locked)).toMatchObject({
      code: 'invalid_file',
      message: expect.stringMatching(/password/),
    });
  });

  it("only SoulSpot's jobs are ours: its category and a batch id in the name", () => {
    expect(isOurs(job, 'soulspot')).toBe(true);
    expect(isOurs({ ...job, Category: 'Movies' }, 'soulspot')).toBe(false);
    expect(isOurs({ ...job, NZBName: 'Holiday.Video' }, 'soulspot')).toBe(false);
  });
});

describe('NZBGet settings and the wanted track', () => {
  it('validates with defaults; the password is write-only and never shown', () => {
    const input = Value.Default(NzbgetSettingsSchema, {
      url: 'http://127.0.0.1:6789',
      username: 'nzbget',
      password: 'secret-pass',
    });
    expect(Value.Check(NzbgetSettingsSchema, input)).toBe(true);
    expect(input).toMatchObject({ category: 'soulspot', pathMappings: [] });
    const view = nzbgetSettingsView(
      nzbgetSettings({
        url: 'http://127.0.0.1:6789/jsonrpc',
        username: 'nzbget',
        password: 'secret-pass',
      }),
    );
    expect(view).toMatchObject({ url: 'http://127.0.0.1:6789', hasPassword: true });
    expect(JSON.stringify(view)).not.toContain('secret-pass');
    expect(
      Value.Check(NzbgetSettingsSchema, { url: 'ftp://x', username: 'a', password: 'b' }),
    ).toBe(false);
  });

  it('the wanted track round-trips through a job parameter; junk reads as none', () => {
    const want = { artist: 'A', title: 'B', album: 'C', durationSeconds: 200 };
    expect(decodeWant(encodeWant(want))).toEqual(want);
    expect(decodeWant('{"artist":1}')).toBeUndefined();
    expect(decodeWant('not json')).toBeUndefined();
    expect(decodeWant(undefined)).toBeUndefined();
  });
});
