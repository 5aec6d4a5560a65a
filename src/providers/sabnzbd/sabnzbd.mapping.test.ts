import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { postedBytes, type NzbFile } from '../nzbget/usenet-nzb.js';
import { expectedBytesOf, nzbUploadName, type SabHistorySlot } from './sabnzbd.api.js';
import {
  classifySabnzbd,
  mapHistorySlot,
  mapQueueSlot,
  missingArticlesNote,
} from './sabnzbd.mapping.js';
import { SabnzbdSettingsSchema, sabnzbdSettings, sabnzbdSettingsView } from './sabnzbd.settings.js';

const BATCH = '0a1b2c3d-0000-4000-8000-000000000001';

const slot = (over: Partial<SabHistorySlot>): SabHistorySlot => ({
  nzo_id: 'SABnzbd_nzo_x',
  name: `Artist - Album.ss-${BATCH}`,
  status: 'Completed',
  category: 'soulspot',
  storage: '/downloads/soulspot/x',
  bytes: 1000,
  downloaded: 1000,
  stage_log: [],
  ...over,
});

describe('SABnzbd history', () => {
  it('Completed with missing articles and no repair is a failure (the truncated-file gotcha)', () => {
    const t = mapHistorySlot(
      slot({ stage_log: [{ name: 'Download', actions: ['1 articles were missing'] }] }),
      'idx',
    );
    expect(t).toMatchObject({ state: 'errored', raw: 'Completed', batchId: BATCH });
    expect(classifySabnzbd(t).code).toBe('file_not_found');
  });

  it('missing articles that par2 repaired: a success', () => {
    const log = [
      { name: 'Download', actions: ['3 articles were missing'] },
      { name: 'Repair', actions: ['[x] Repaired in 2 seconds'] },
    ];
    expect(missingArticlesNote({ stage_log: log })).toBeNull();
    expect(mapHistorySlot(slot({ stage_log: log }), 'idx').state).toBe('succeeded');
  });

  it('Completed with fewer bytes than were posted is a failure, though the stage log is silent', () => {
    // SABnzbd 3.7 reports before it counts a missing article that came last: only the bytes tell.
    const posted = nzbUploadName(`Artist - Album.ss-${BATCH}`, 1200);
    expect(expectedBytesOf(posted)).toBe(1200);
    const short = mapHistorySlot(slot({ nzb_name: posted, bytes: 1000 }), 'idx');
    expect(short).toMatchObject({ state: 'errored', raw: 'Completed' });
    expect(short.exception).toMatch(/200 of 1200 posted bytes never arrived/);
    expect(classifySabnzbd(short).code).toBe('file_not_found');
    // Whole, or more (par2 volumes fetched for a repair), or added by someone else: not judged.
    for (const whole of [
      slot({ nzb_name: posted, bytes: 1200 }),
      slot({ nzb_name: posted, bytes: 1500 }),
      slot({ nzb_name: 'Artist - Album.nzb', bytes: 10 }),
      slot({ nzb_name: null, bytes: 10 }),
    ]) {
      expect(mapHistorySlot(whole, 'idx').state).toBe('succeeded');
    }
    // A shortfall that par2 repaired is a success, as with the stage log's count.
    const repaired = [{ name: 'Repair', actions: ['[x] Repaired in 2 seconds'] }];
    expect(
      mapHistorySlot(slot({ nzb_name: posted, bytes: 1000, stage_log: repaired }), 'idx').state,
    ).toBe('succeeded');
  });

  it('posted bytes count every file but the par2 set', () => {
    const file = (name: string, size: number): NzbFile => ({
      name,
      size,
      subject: `"${name}" yEnc (1/1)`,
      poster: 'p',
      date: '0',
      groups: ['alt.binaries.test'],
      segments: [{ number: 1, bytes: size, messageId: `${name}@test` }],
    });
    expect(postedBytes([file('a.flac', 100), file('b.flac', 50), file('a.vol00+01.PAR2', 9)])).toBe(
      150,
    );
  });

  it('Failed carries the fail message, classified; post-processing is still in progress', () => {
    const failed = mapHistorySlot(
      slot({ status: 'Failed', fail_message: 'Unpacking failed, archive requires a password' }),
      'idx',
    );
    expect(failed.state).toBe('errored');
    expect(classifySabnzbd(failed)).toMatchObject({
      code: 'invalid_file',
      message: expect.stringMatching(/password-protected/),
    });
    expect(mapHistorySlot(slot({ status: 'Extracting' }), 'idx').state).toBe('in_progress');
  });
});

describe('SABnzbd queue', () => {
  it('maps sizes from MB and the batch id from the name', () => {
    const t = mapQueueSlot(
      {
        nzo_id: 'n1',
        filename: `A.ss-${BATCH}`,
        status: 'Downloading',
        cat: 'soulspot',
        mb: '2.00',
        mbleft: '0.50',
        percentage: '75',
      },
      'idx',
      4096,
    );
    expect(t).toMatchObject({
      id: 'n1',
      state: 'in_progress',
      size: 2 * 1024 * 1024,
      bytesTransferred: 1.5 * 1024 * 1024,
      percentComplete: 75,
      averageSpeed: 4096,
      batchId: BATCH,
    });
  });
});

describe('SABnzbd settings', () => {
  it('default category soulspot; the key is write-only and never shown', () => {
    const input = Value.Default(SabnzbdSettingsSchema, {
      url: 'http://127.0.0.1:8080',
      apiKey: 'k'.repeat(32),
    });
    expect(Value.Check(SabnzbdSettingsSchema, input)).toBe(true);
    expect(input).toMatchObject({ category: 'soulspot', pathMappings: [] });
    const view = sabnzbdSettingsView(
      sabnzbdSettings({ url: 'http://127.0.0.1:8080/api/', apiKey: 'k'.repeat(32) }),
    );
    expect(view).toMatchObject({ url: 'http://127.0.0.1:8080', hasApiKey: true });
    expect(JSON.stringify(view)).not.toContain('kkkk');
  });

  it('refuses credentials in the URL and unknown fields', () => {
    expect(Value.Check(SabnzbdSettingsSchema, { url: 'http://u:p@host:8080', apiKey: 'k' })).toBe(
      false,
    );
    expect(
      Value.Check(SabnzbdSettingsSchema, {
        url: 'http://host:8080',
        apiKey: 'k',
        category: 'soulspot',
        pathMappings: [],
        extra: 1,
      }),
    ).toBe(false);
  });
});
