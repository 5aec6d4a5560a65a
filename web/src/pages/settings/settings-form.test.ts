import { describe, expect, it } from 'vitest';
import {
  buildPatch,
  errorField,
  fromInput,
  groupSettings,
  toInput,
  type InputKind,
} from './settings-form';

const SETTINGS = {
  maxConcurrent: 3,
  retryBackoffSeconds: [30, 120, 600],
  stallTimeoutSeconds: 300,
  tagFiles: true,
  transcodeAction: 'reject',
  timeZone: 'UTC',
  timeWindows: [{ days: 'mon-fri', from: '01:00', to: '07:00' }],
  namingPattern: '{Album Artist Name}/{Album Title}/{track:00} {Track Title}',
  toastEvents: ['download.completed', 'download.failed'],
  allowedPrivateTargets: ['gotify.lan', '192.168.1.0/24'],
  someFutureSetting: { a: 1 },
};

describe('groupSettings', () => {
  it('puts each known setting in its group and unknown ones under Other', () => {
    const groups = groupSettings(SETTINGS as never);
    const byId = Object.fromEntries(groups.map((g) => [g.id, g.fields.map((f) => f.key)]));
    expect(byId['limits']).toEqual(['maxConcurrent']);
    expect(byId['retries']).toEqual(['retryBackoffSeconds']);
    expect(byId['timeouts']).toEqual(['stallTimeoutSeconds']);
    expect(byId['post-processing']).toEqual(['tagFiles', 'transcodeAction']);
    expect(byId['windows']).toEqual(['timeZone', 'timeWindows']);
    expect(byId['naming']).toEqual(['namingPattern']);
    expect(byId['other']).toEqual(['someFutureSetting']);
    expect(groups.find((g) => g.id === 'other')?.fields[0]?.input.kind).toBe('json');
  });

  it('leaves out groups with none of their settings present', () => {
    expect(groupSettings({ tagFiles: false }).map((g) => g.id)).toEqual(['post-processing']);
  });
});

describe('toInput / fromInput', () => {
  const cases: [InputKind, unknown, unknown][] = [
    [{ kind: 'int', min: 1, max: 10 }, 3, '3'],
    [{ kind: 'bool' }, true, true],
    [{ kind: 'numberList' }, [30, 120.5], '30, 120.5'],
    [{ kind: 'textList' }, ['a', 'b'], 'a\nb'],
    [{ kind: 'windows' }, [{ days: 'sat,sun', from: '00:00', to: '23:59' }], 'sat,sun 00:00-23:59'],
    [{ kind: 'events' }, ['queue.idle'], ['queue.idle']],
    [{ kind: 'enum', options: ['reject', 'warn'] }, 'warn', 'warn'],
    [{ kind: 'json' }, { a: [1] }, '{"a":[1]}'],
  ];
  it.each(cases)('%o round-trips %o', (input, value, text) => {
    expect(toInput(input, value as never)).toEqual(text);
    expect(fromInput(input, text as never)).toEqual({ ok: true, value });
  });

  it('refuses text that is not a value, saying why', () => {
    const int: InputKind = { kind: 'int', min: 1, max: 10 };
    expect(fromInput(int, '')).toEqual({ ok: false, error: 'required' });
    expect(fromInput(int, '2.5')).toEqual({ ok: false, error: 'must be a whole number' });
    expect(fromInput(int, '0')).toEqual({ ok: false, error: 'must be at least 1' });
    expect(fromInput(int, '11')).toEqual({ ok: false, error: 'must be at most 10' });
    expect(fromInput(int, 'abc')).toEqual({ ok: false, error: 'must be a number' });
    expect(fromInput({ kind: 'numberList' }, '30, x')).toEqual({
      ok: false,
      error: '"x" is not a number of seconds',
    });
    expect(fromInput({ kind: 'numberList' }, ' ')).toMatchObject({ ok: false });
    expect(fromInput({ kind: 'windows' }, 'mon-fri 1am')).toMatchObject({ ok: false });
    expect(fromInput({ kind: 'enum', options: ['a'] }, 'b')).toMatchObject({ ok: false });
    expect(fromInput({ kind: 'json' }, '{')).toEqual({ ok: false, error: 'must be JSON' });
  });

  it('reads windows loosely: spaces around the dash, one-digit hours padded, blank lines skipped', () => {
    expect(fromInput({ kind: 'windows' }, 'mon-fri 1:00 - 7:30\n\n  sat 22:00-23:00 ')).toEqual({
      ok: true,
      value: [
        { days: 'mon-fri', from: '01:00', to: '07:30' },
        { days: 'sat', from: '22:00', to: '23:00' },
      ],
    });
  });
});

describe('buildPatch', () => {
  const groups = groupSettings(SETTINGS as never);
  const inputs = () => {
    const out: Record<string, ReturnType<typeof toInput>> = {};
    for (const f of groups.flatMap((g) => g.fields))
      out[f.key] = toInput(f.input, (SETTINGS as never)[f.key]);
    return out;
  };

  it('sends nothing when nothing changed (events in another order included)', () => {
    const form = inputs();
    form['toastEvents'] = ['download.failed', 'download.completed'];
    expect(buildPatch(groups, SETTINGS as never, form)).toEqual({ patch: {}, errors: {} });
  });

  it('sends only what changed, as typed values', () => {
    const form = { ...inputs(), maxConcurrent: '5', tagFiles: false, retryBackoffSeconds: '10 20' };
    expect(buildPatch(groups, SETTINGS as never, form)).toEqual({
      patch: { maxConcurrent: 5, tagFiles: false, retryBackoffSeconds: [10, 20] },
      errors: {},
    });
  });

  it('names each field whose text is not a value', () => {
    const form = { ...inputs(), maxConcurrent: '0', timeZone: ' ' };
    const { patch, errors } = buildPatch(groups, SETTINGS as never, form);
    expect(patch).toEqual({});
    expect(errors).toEqual({ maxConcurrent: 'must be at least 1', timeZone: 'required' });
  });
});

describe('errorField', () => {
  const keys = ['maxConcurrent', 'timeWindows', 'timeZone'];
  it('finds the setting a 400 names', () => {
    expect(errorField('body/maxConcurrent must be >= 1', keys)).toEqual({
      key: 'maxConcurrent',
      message: 'must be >= 1',
    });
    expect(errorField('body/timeWindows/0/from must be HH:MM', keys)).toEqual({
      key: 'timeWindows',
      message: '/0/from must be HH:MM',
    });
  });
  it('returns null for a message about no known field', () => {
    expect(errorField('body must have at least 1 property', keys)).toBeNull();
    expect(errorField('body/unknown is not a known setting', keys)).toBeNull();
    expect(errorField('Internal Server Error', keys)).toBeNull();
  });
});

describe('errorField on a message naming two fields', () => {
  it('drops the body/ prefix of the other field', () => {
    expect(errorField('body/minBitrate 320 is above body/maxBitrate 128', ['minBitrate'])).toEqual({
      key: 'minBitrate',
      message: '320 is above maxBitrate 128',
    });
  });
});
