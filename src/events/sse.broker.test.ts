import { describe, expect, it } from 'vitest';
import { needsReset } from './sse.broker.js';

describe('needsReset: may a client with this Last-Event-ID have missed trimmed events?', () => {
  it.each([
    // lastEventId, oldest kept, newest kept, reset?
    [10, 5, 20, false], // inside the kept range
    [4, 5, 20, false], // the event right after it is the oldest kept: nothing missed
    [3, 5, 20, true], // id 4 may have been trimmed
    [0, 1, 20, false], // a client that saw nothing, nothing trimmed yet
    [0, 2, 20, true],
    [20, 5, 20, false], // up to date
    [21, 5, 20, true], // from another log (a replaced database)
    [0, null, null, false], // empty log, client that saw nothing
    [7, null, null, true], // empty log, client from somewhere else
  ] as const)('last %i, kept %s..%s → %s', (last, oldest, latest, expected) => {
    expect(needsReset(last, { oldest, latest })).toBe(expected);
  });
});
