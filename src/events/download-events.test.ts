import { describe, expect, it } from 'vitest';
import { toDownloadDto, type DownloadDto } from '../downloads/download.dto.js';
import type { AttemptRow, DownloadRow } from '../downloads/download.repository.js';
import { downloadRow } from '../../test/helpers/factories.js';
import { changedFields, downloadEvents } from './download-events.js';

const base = {
  ...downloadRow({ status: 'downloading', next_retry_at: null, completed_at: null }),
  queue_position: null,
  size: 1000,
  hold: 'none',
} as DownloadRow;
const dto = (patch: Partial<DownloadRow> = {}, attempts: AttemptRow[] = []): DownloadDto =>
  toDownloadDto({ ...base, ...patch }, attempts);
const attempt = (state: string): AttemptRow =>
  ({
    id: 'a1',
    download_id: base.id,
    provider: 'slskd',
    username: 'peer',
    filename: 'f.flac',
    size: 1000,
    transfer_id: 't1',
    state,
    error_code: null,
    error_message: null,
    created_at: 1,
    finished_at: null,
  }) as AttemptRow;

describe('downloadEvents', () => {
  const cases: [string, Partial<DownloadRow>, Partial<DownloadRow>, string[]][] = [
    ['only updatedAt: nothing', {}, { updated_at: base.updated_at + 5 }, []],
    ['bytes moved: a progress delta', {}, { progress: 40, bytes_transferred: 400 }, ['progress']],
    ['queue place moved: a progress delta', {}, { queue_position: 7 }, ['progress']],
    ['a status change: an update', {}, { status: 'processing' }, ['updated']],
    ['status and bytes: an update', {}, { status: 'processing', progress: 100 }, ['updated']],
    [
      'reaching completed',
      { status: 'processing' },
      { status: 'completed' },
      ['updated', 'completed'],
    ],
    ['reaching failed', {}, { status: 'failed', error_code: 'timeout' }, ['updated', 'failed']],
    [
      'failed again, still failed: no second failure',
      { status: 'failed' },
      { status: 'failed', error_message: 'x' },
      ['updated'],
    ],
    ['a retry round (waiting): no failure', {}, { status: 'waiting', retry_count: 1 }, ['updated']],
  ];
  it.each(cases)('%s', (_name, before, after, expected) => {
    const events = downloadEvents(dto(before), dto(after), { speed: 10 });
    expect(events.map((e) => e.type.replace(/^download\./, ''))).toEqual(expected);
  });

  it('names the changed fields, nested ones by value', () => {
    const before = dto({}, [attempt('enqueued')]);
    expect(changedFields(before, dto({}, [attempt('enqueued')]))).toEqual([]);
    expect(changedFields(before, dto({ priority: 5 }, [attempt('failed')]))).toEqual([
      'priority',
      'attempts',
    ]);
    const [update] = downloadEvents(before, dto({ status: 'queued' }, [attempt('enqueued')]));
    expect(update).toMatchObject({ type: 'download.updated', payload: { changed: ['status'] } });
  });

  it('a progress delta carries the numbers, and speed only when known', () => {
    const [withSpeed] = downloadEvents(dto(), dto({ progress: 50, bytes_transferred: 500 }), {
      speed: 2000,
    });
    expect(withSpeed?.payload).toEqual({
      id: base.id,
      progress: 50,
      bytesTransferred: 500,
      queuePosition: null,
      updatedAt: new Date(base.updated_at).toISOString(),
      speed: 2000,
    });
    const [without] = downloadEvents(dto(), dto({ bytes_transferred: 600 }), { speed: 0 });
    expect(without?.payload).not.toHaveProperty('speed');
  });
});
