import { describe, expect, it } from 'vitest';
import { EXIT_CODES, outcomeExit, type Outcome } from './exit-codes.js';
import {
  colourEnabled,
  etaSeconds,
  formatBytes,
  formatEta,
  formatSpeed,
  paintStatus,
  printable,
} from './format.js';
import { statusLine } from './report.js';
import { createSseParser, type ServerEvent } from './sse.js';
import { Tracker, type DownloadView } from './tracker.js';

describe('exit codes', () => {
  it('are distinct, and 0 is only "ok"', () => {
    const codes = Object.values(EXIT_CODES).map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(EXIT_CODES.ok.code).toBe(0);
    expect(codes.filter((c) => c === 0)).toHaveLength(1);
  });

  const o = (p: Partial<Outcome>): Outcome => ({
    completed: 0,
    failed: 0,
    cancelled: 0,
    unfinished: 0,
    interrupted: false,
    ...p,
  });
  it.each<[Partial<Outcome>, string]>([
    [{ completed: 10 }, 'ok'],
    [{ completed: 9, failed: 1 }, 'someFailed'],
    [{ completed: 9, cancelled: 1 }, 'someFailed'],
    [{ completed: 9, unfinished: 1, interrupted: true }, 'interrupted'],
    [{ completed: 9, unfinished: 1 }, 'someFailed'],
    [{ failed: 1, unfinished: 1, interrupted: true }, 'someFailed'],
    [{}, 'someFailed'],
  ])('%j → %s', (p, kind) => expect(outcomeExit(o(p))).toBe(kind));

  it('every outcome with something not completed is not ok (invariant)', () => {
    for (let f = 0; f < 3; f++)
      for (let c = 0; c < 3; c++)
        for (let u = 0; u < 3; u++)
          for (const interrupted of [false, true]) {
            const kind = outcomeExit(
              o({ completed: 2, failed: f, cancelled: c, unfinished: u, interrupted }),
            );
            expect(kind === 'ok').toBe(f + c + u === 0);
          }
  });
});

describe('format', () => {
  it.each<[number | null, string]>([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KB'],
    [5 * 1024 * 1024, '5.0 MB'],
    [250 * 1024 * 1024, '250 MB'],
    [null, '?'],
  ])('formatBytes(%j) = %s', (n, s) => expect(formatBytes(n)).toBe(s));

  it.each<[number | null, string]>([
    [42.4, '42s'],
    [185, '3m05s'],
    [3720, '1h02m'],
    [null, '-'],
    [-1, '-'],
  ])('formatEta(%j) = %s', (n, s) => expect(formatEta(n)).toBe(s));

  it('speed and ETA', () => {
    expect(formatSpeed(2048)).toBe('2.0 KB/s');
    expect(formatSpeed(0)).toBe('-');
    expect(etaSeconds(1000, 400, 100)).toBe(6);
    expect(etaSeconds(null, 400, 100)).toBeNull();
    expect(etaSeconds(1000, 400, null)).toBeNull();
  });

  it.each<[boolean, Record<string, string | undefined>, boolean, boolean]>([
    [true, {}, true, true],
    [true, { NO_COLOR: '1' }, true, false],
    [true, { NO_COLOR: '' }, true, true],
    [false, {}, true, false],
    [true, {}, false, false],
  ])('colour on a tty=%s env=%j flag=%s → %s', (isTTY, env, flag, want) =>
    expect(colourEnabled({ isTTY, env, flag })).toBe(want),
  );

  it('paints only when asked', () => {
    expect(paintStatus('failed', true)).toBe('\x1b[31mfailed\x1b[0m');
    expect(paintStatus('failed', false)).toBe('failed');
    // Padded inside the colour, looked up by the bare word.
    expect(paintStatus('queued', true, 8)).toBe('\x1b[36mqueued  \x1b[0m');
  });

  it("a peer's escape sequences never reach the terminal", () => {
    expect(printable('a\x1b[2Jb\x07c\nd\u009be')).toBe('a?[2Jb?c d?e');
  });
});

const view = (p: Partial<DownloadView>): DownloadView => ({
  id: 'd1',
  status: 'waiting',
  artist: 'Blur',
  title: 'Song 2',
  progress: 0,
  bytesTransferred: 0,
  size: null,
  queuePosition: null,
  errorCode: null,
  errorMessage: null,
  libraryPath: null,
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...p,
});

describe('Tracker', () => {
  it('reports each status change once and never rolls back to an older snapshot', () => {
    const t = new Tracker();
    t.follow('d1', 'Blur', 'Song 2');
    expect(t.applyDownload(view({}))).toEqual({
      item: expect.objectContaining({ status: 'waiting' }),
      from: null,
    });
    expect(t.applyDownload(view({}))).toBeNull();
    const later = view({
      status: 'downloading',
      size: 1000,
      updatedAt: '2026-01-01T00:00:02.000Z',
    });
    expect(t.applyDownload(later)?.from).toBe('waiting');
    expect(
      t.applyDownload(view({ status: 'searching', updatedAt: '2026-01-01T00:00:01.000Z' })),
    ).toBeNull();
    expect(t.get('d1')?.status).toBe('downloading');
    expect(t.applyDownload(view({ id: 'other' }))).toBeNull();
  });

  it('measures speed from progress deltas when the daemon gives none', () => {
    const t = new Tracker();
    t.follow('d1', 'Blur', 'Song 2');
    t.applyDownload(
      view({ status: 'downloading', size: 1000, updatedAt: '2026-01-01T00:00:00.000Z' }),
    );
    t.applyProgress({
      id: 'd1',
      progress: 50,
      bytesTransferred: 500,
      queuePosition: null,
      updatedAt: '2026-01-01T00:00:02.000Z',
    });
    expect(t.get('d1')?.speed).toBe(250);
    t.applyProgress({
      id: 'd1',
      progress: 60,
      bytesTransferred: 600,
      queuePosition: null,
      updatedAt: '2026-01-01T00:00:03.000Z',
      speed: 900,
    });
    expect(t.get('d1')?.speed).toBe(900);
  });

  it('counts the outcome', () => {
    const t = new Tracker();
    for (const id of ['a', 'b', 'c', 'd']) t.follow(id, 'A', id);
    t.applyDownload(view({ id: 'a', status: 'completed' }));
    t.applyDownload(view({ id: 'b', status: 'failed' }));
    t.applyDownload(view({ id: 'c', status: 'cancelled' }));
    expect(t.outcome(false)).toEqual({
      completed: 1,
      failed: 1,
      cancelled: 1,
      unfinished: 1,
      interrupted: false,
    });
    expect(t.allDone()).toBe(false);
    expect(t.unfinishedIds()).toEqual(['d']);
  });

  it('follows every download it is told of when following all (watch)', () => {
    const t = new Tracker(true);
    expect(t.applyDownload(view({ id: 'new', status: 'queued' }))?.from).toBeNull();
    expect(t.has('new')).toBe(true);
  });
});

describe('statusLine', () => {
  const item = (p: Partial<DownloadView>) => ({ ...view(p), speed: null });
  it.each<[Partial<DownloadView>, string]>([
    [
      { status: 'completed', libraryPath: '/m/Blur/13/02 - Song 2.flac' },
      'completed   Blur - Song 2 -> /m/Blur/13/02 - Song 2.flac',
    ],
    [
      { status: 'failed', errorCode: 'no_results', errorMessage: 'Nothing found' },
      'failed      Blur - Song 2: no_results: Nothing found',
    ],
    [
      { status: 'queued', queuePosition: 3 },
      "queued      Blur - Song 2 (place 3 in the peer's queue)",
    ],
    [
      { status: 'downloading', size: 2048, source: { username: 'peer', filename: 'x' } },
      'downloading Blur - Song 2 (from peer, 2.0 KB)',
    ],
  ])('%j', (p, line) => expect(statusLine(item(p), false)).toBe(line));
});

describe('SSE parser', () => {
  it('splits events across chunks, keeps ids, skips comments, joins data lines', () => {
    const events: ServerEvent[] = [];
    const feed = createSseParser((e) => events.push(e));
    feed('retry: 2000\n\n: heartbeat\n\nid: 7\nevent: download.progress\nda');
    feed('ta: {"a":1}\n\nid: 8\r\nevent: x\r\ndata: one\r\ndata: two\r\n\r\n');
    expect(events).toEqual([
      { id: 7, event: 'download.progress', data: '{"a":1}' },
      { id: 8, event: 'x', data: 'one\ntwo' },
    ]);
  });
});
