import { describe, expect, it } from 'vitest';
import { describeWindowProblem, windowState, type TimeWindow } from './time-windows.js';

const at = (iso: string) => new Date(iso).getTime();
const nights: TimeWindow = { days: 'mon-fri', from: '01:00', to: '07:00' };

describe('time windows', () => {
  it('has no restriction without windows', () => {
    expect(windowState([], 'UTC', at('2026-12-01T12:00:00Z'))).toEqual({
      open: true,
      changesAt: null,
    });
  });

  // 2026-12-01 is a Tuesday.
  it.each([
    ['inside, Tuesday 03:00', '2026-12-01T03:00:00Z', true, '2026-12-01T07:00:00Z'],
    ['at the opening minute', '2026-12-01T01:00:00Z', true, '2026-12-01T07:00:00Z'],
    ['at the closing minute', '2026-12-01T07:00:00Z', false, '2026-12-02T01:00:00Z'],
    ['after, Tuesday 12:00', '2026-12-01T12:00:00Z', false, '2026-12-02T01:00:00Z'],
    ['Friday evening waits for Monday', '2026-12-04T20:00:00Z', false, '2026-12-07T01:00:00Z'],
    ['Saturday night is closed', '2026-12-05T03:00:00Z', false, '2026-12-07T01:00:00Z'],
  ])('%s', (_name, now, open, changesAt) => {
    expect(windowState([nights], 'UTC', at(now))).toEqual({ open, changesAt: at(changesAt) });
  });

  it('closes a window that crosses midnight on the next day', () => {
    const late: TimeWindow = { days: 'fri', from: '22:00', to: '06:00' };
    expect(windowState([late], 'UTC', at('2026-12-05T05:00:00Z'))).toEqual({
      open: true,
      changesAt: at('2026-12-05T06:00:00Z'),
    });
    expect(windowState([late], 'UTC', at('2026-12-05T22:30:00Z')).open).toBe(false);
  });

  it('works in the configured time zone, across a daylight-saving change', () => {
    // Berlin is UTC+1 in winter: 01:00 local is 00:00 UTC.
    expect(windowState([nights], 'Europe/Berlin', at('2026-12-01T00:30:00Z'))).toEqual({
      open: true,
      changesAt: at('2026-12-01T06:00:00Z'),
    });
    // 2026-03-29 (Sunday) Berlin moves to UTC+2; Monday 01:00 local is Sunday 23:00 UTC.
    expect(windowState([nights], 'Europe/Berlin', at('2026-03-29T22:30:00Z'))).toEqual({
      open: false,
      changesAt: at('2026-03-29T23:00:00Z'),
    });
  });

  it('is open when any of several windows is, until the last of them closes', () => {
    const weekend: TimeWindow = { days: 'sat,sun', from: '00:00', to: '23:59' };
    const state = windowState([nights, weekend], 'UTC', at('2026-12-05T12:00:00Z'));
    expect(state).toEqual({ open: true, changesAt: at('2026-12-05T23:59:00Z') });
    expect(windowState([nights, weekend], 'UTC', at('2026-12-01T12:00:00Z')).changesAt).toBe(
      at('2026-12-02T01:00:00Z'),
    );
  });

  it('spells out a range that wraps the week', () => {
    const wrap: TimeWindow = { days: 'fri-mon', from: '10:00', to: '11:00' };
    expect(windowState([wrap], 'UTC', at('2026-12-06T10:30:00Z')).open).toBe(true); // Sunday
    expect(windowState([wrap], 'UTC', at('2026-12-02T10:30:00Z')).open).toBe(false); // Wednesday
  });

  it.each([
    [{ days: 'mon-fri', from: '1:00', to: '07:00' }, 'UTC', 'from must be'],
    [{ days: 'mon-fri', from: '01:00', to: '24:00' }, 'UTC', 'to must be'],
    [{ days: 'weekdays', from: '01:00', to: '07:00' }, 'UTC', 'days must be'],
    [{ days: 'mon-', from: '01:00', to: '07:00' }, 'UTC', 'days must be'],
    [nights, 'Mars/Olympus', 'is not a known time zone'],
  ])('explains a bad window %#', (window, tz, message) => {
    expect(describeWindowProblem(window, tz)).toContain(message);
  });

  it('accepts good windows', () => {
    expect(describeWindowProblem(nights, 'Europe/Berlin')).toBeNull();
    expect(describeWindowProblem({ days: '*', from: '00:00', to: '00:00' }, 'UTC')).toBeNull();
  });
});
