import { describe, expect, it } from 'vitest';
import { apiPath } from './api';
import { parseRoute } from './router';

describe('apiPath', () => {
  it('encodes each value as one segment, so an id from the address bar cannot climb', () => {
    const id = parseRoute('/albums/..%2Fdownloads%2Fexport%3Fformat%3Dcsv').rest[0]!;
    expect(id).toBe('../downloads/export?format=csv');
    const p = apiPath`/api/albums/${id}`;
    expect(p).toBe('/api/albums/..%2Fdownloads%2Fexport%3Fformat%3Dcsv');
    expect(new URL(p, 'http://h').pathname).toBe(
      '/api/albums/..%2Fdownloads%2Fexport%3Fformat%3Dcsv',
    );
    expect(apiPath`/api/albums/${'a b#c'}/${'pause'}`).toBe('/api/albums/a%20b%23c/pause');
    expect(apiPath`/api/queue`).toBe('/api/queue');
  });

  it('a malformed escape in the address is kept, not a crash', () => {
    expect(parseRoute('/albums/%E0%A4%A').rest).toEqual(['%E0%A4%A']);
  });
});
