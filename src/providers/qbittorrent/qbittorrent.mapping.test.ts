import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../downloads/error-codes.js';
import type { TorrentInfo } from './qbittorrent.api.js';
import {
  classifyFailure,
  mapState,
  mapWant,
  parseTransferId,
  stallVerdict,
  STATE_TABLE,
  transferId,
  wantsOf,
  wantTag,
  type Want,
} from './qbittorrent.mapping.js';

/** Every state the Web API documents for 4.x, plus those 5.x renamed or added. */
const KNOWN_STATES = [
  'error',
  'missingFiles',
  'uploading',
  'pausedUP',
  'queuedUP',
  'stalledUP',
  'checkingUP',
  'forcedUP',
  'allocating',
  'downloading',
  'metaDL',
  'pausedDL',
  'queuedDL',
  'stalledDL',
  'checkingDL',
  'forcedDL',
  'checkingResumeData',
  'moving',
  'unknown',
  'stoppedUP',
  'stoppedDL',
  'forcedMetaDL',
];
const TRANSFER_STATES = new Set([
  'queued_locally',
  'requested',
  'queued_remotely',
  'initializing',
  'in_progress',
  'succeeded',
  'cancelled',
  'timed_out',
  'errored',
  'rejected',
  'aborted',
]);

const HASH = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const BATCH = '0b6c6f0e-8d0a-4a8e-9a55-2f1f3c1d9e77';
const NOW = 1_800_000_000_000;
const RULES = { noSeedersTimeoutSeconds: 60, noProgressTimeoutSeconds: 300 };

function torrent(over: Partial<TorrentInfo> = {}): TorrentInfo {
  return {
    hash: HASH,
    name: 'Album',
    state: 'downloading',
    progress: 0.5,
    size: 1000,
    dlspeed: 100,
    num_seeds: 1,
    num_complete: 1,
    save_path: '/downloads',
    category: 'soulspot',
    tags: `soulspot.${BATCH}`,
    added_on: NOW / 1000 - 10,
    last_activity: NOW / 1000 - 1,
    ...over,
  };
}

describe('the state table', () => {
  it('maps every known qBittorrent state, each to a transfer state', () => {
    for (const s of KNOWN_STATES) expect(Object.hasOwn(STATE_TABLE, s), s).toBe(true);
    for (const [s, mapped] of Object.entries(STATE_TABLE)) {
      expect(TRANSFER_STATES.has(mapped), s).toBe(true);
      expect(mapState(s)).toBe(mapped);
    }
  });

  it('4.x and 5.x names of one state mean the same; an unheard-of state is an error', () => {
    expect(mapState('pausedUP')).toBe(mapState('stoppedUP'));
    expect(mapState('pausedDL')).toBe(mapState('stoppedDL'));
    expect(mapState('metaDL')).toBe(mapState('forcedMetaDL'));
    expect(mapState('somethingNew')).toBe('errored');
  });

  it('only states where the selected files are complete read as succeeded', () => {
    const done = Object.entries(STATE_TABLE)
      .filter(([, m]) => m === 'succeeded')
      .map(([s]) => s);
    expect(done.every((s) => s === 'uploading' || s.endsWith('UP'))).toBe(true);
    // …and every upload-side state is one of them.
    for (const s of KNOWN_STATES.filter((k) => k.endsWith('UP'))) expect(done).toContain(s);
    expect(done.length).toBeGreaterThanOrEqual(6);
  });
});

describe('wants as tags', () => {
  it('round-trips every kind of want; foreign tags are ignored', () => {
    const wants: Want[] = [
      { batchId: BATCH, file: null, done: false },
      { batchId: BATCH, file: 3, done: false },
      { batchId: BATCH, file: 'pick', done: false },
      { batchId: BATCH, file: 12, done: true },
    ];
    const tags = ['mine', ...wants.map(wantTag), 'soulspot', 'soulspot.', 'soulspot.x.y.z'].join(
      ', ',
    );
    expect(wantsOf({ tags })).toEqual(wants);
  });

  it('transfer ids carry the hash and the batch id', () => {
    expect(parseTransferId(transferId(HASH.toUpperCase(), BATCH))).toEqual({
      hash: HASH,
      batchId: BATCH,
    });
    expect(parseTransferId('not-a-torrent')).toBeNull();
    expect(parseTransferId(`${HASH}.`)).toBeNull();
  });
});

describe('stallVerdict', () => {
  it('no seeder known for longer than its timeout: stalled', () => {
    const t = torrent({
      state: 'stalledDL',
      num_seeds: 0,
      num_complete: 0,
      last_activity: 0,
      added_on: NOW / 1000 - 61,
    });
    expect(stallVerdict(t, RULES, NOW)).toMatch(/no seeders for 61 s/);
    expect(stallVerdict({ ...t, added_on: NOW / 1000 - 59 }, RULES, NOW)).toBeNull();
  });

  it('seeders but no payload for longer than the progress timeout: stalled; moving bytes: not', () => {
    const t = torrent({
      state: 'stalledDL',
      last_activity: NOW / 1000 - 301,
      added_on: NOW / 1000 - 900,
    });
    expect(stallVerdict(t, RULES, NOW)).toMatch(/no progress/);
    expect(stallVerdict({ ...t, last_activity: NOW / 1000 - 5 }, RULES, NOW)).toBeNull();
  });

  it('never for a complete, queued or stopped torrent', () => {
    const old = { last_activity: 0, added_on: NOW / 1000 - 10_000, num_seeds: 0, num_complete: 0 };
    for (const state of ['stalledUP', 'pausedDL', 'queuedDL', 'checkingDL']) {
      expect(stallVerdict(torrent({ ...old, state }), RULES, NOW), state).toBeNull();
    }
  });
});

describe('mapWant', () => {
  const files = [
    { index: 0, name: 'Album/01 - A.flac', size: 400, progress: 0, priority: 0 },
    { index: 1, name: 'Album/02 - B.flac', size: 600, progress: 0, priority: 1 },
  ];

  it('a file want reports that file, the torrent progress over the selection', () => {
    const s = mapWant(
      torrent({ tags: `soulspot.${BATCH}.1` }),
      { batchId: BATCH, file: 1, done: false },
      files,
      RULES,
      NOW,
    );
    expect(s).toMatchObject({
      id: `${HASH}.${BATCH}`,
      filename: 'Album/02 - B.flac',
      size: 600,
      state: 'in_progress',
      bytesTransferred: 300,
      percentComplete: 50,
      // 600 of the 1000 selected bytes: its share of the torrent's 100 B/s, so its 300 bytes
      // left take 5 s, as the selection's 500 do.
      averageSpeed: 60,
      batchId: BATCH,
    });
    expect(s.removed).toBeUndefined();
  });

  it('complete: succeeded with every byte; a done want is removed', () => {
    const t = torrent({ state: 'stalledUP', progress: 1 });
    const s = mapWant(t, { batchId: BATCH, file: null, done: true }, null, RULES, NOW);
    expect(s).toMatchObject({
      state: 'succeeded',
      bytesTransferred: 1000,
      percentComplete: 100,
      removed: true,
      filename: 'Album',
    });
  });

  it('a stalled torrent reads as timed out, which describeFailure calls queue_timeout', () => {
    const t = torrent({
      state: 'stalledDL',
      progress: 0,
      num_seeds: 0,
      num_complete: 0,
      last_activity: 0,
      added_on: NOW / 1000 - 120,
    });
    const s = mapWant(t, { batchId: BATCH, file: null, done: false }, null, RULES, NOW);
    expect(s.state).toBe('timed_out');
    expect(classifyFailure(s).code).toBe('queue_timeout');
  });

  it('a file not chosen yet is initializing', () => {
    const s = mapWant(
      torrent({ state: 'stalledUP', progress: 1 }),
      { batchId: BATCH, file: 'pick', done: false },
      null,
      RULES,
      NOW,
    );
    expect(s.state).toBe('initializing');
  });
});

describe('classifyFailure', () => {
  it('maps error states to the fixed codes', () => {
    expect(classifyFailure({ state: 'errored', raw: 'missingFiles' }).code).toBe('file_not_found');
    expect(classifyFailure({ state: 'errored', raw: 'error' }).code).toBe('transfer_failed');
    expect(classifyFailure({ state: 'errored', raw: 'unknown' }).code).toBe('transfer_failed');
    for (const raw of KNOWN_STATES)
      expect(isErrorCode(classifyFailure({ state: 'errored', raw }).code)).toBe(true);
  });
});
