import { describe, expect, it } from 'vitest';
import { toLocalPath, toRemotePath } from './path-mapping.js';

const mappings = [
  { remote: '/downloads', local: '/mnt/dl' },
  { remote: '/downloads/music/', local: '/srv/music-dl' },
  { remote: 'D:\\dl', local: '/mnt/windows' },
];

describe('remote path mappings', () => {
  it.each([
    ['/downloads/Album/01.flac', '/mnt/dl/Album/01.flac'],
    ['/downloads', '/mnt/dl'],
    ['/downloads/music/Album/01.flac', '/srv/music-dl/Album/01.flac'],
    ['/downloads2/Album/01.flac', '/downloads2/Album/01.flac'],
    ['D:\\dl\\Album\\01.flac', '/mnt/windows/Album/01.flac'],
    ['/elsewhere/x.flac', '/elsewhere/x.flac'],
  ])('%s → %s', (remote, local) => expect(toLocalPath(remote, mappings)).toBe(local));

  it('maps a local save path back to the client', () => {
    expect(toRemotePath('/srv/music-dl/Album', mappings)).toBe('/downloads/music/Album');
    expect(toRemotePath('/mnt/dl', mappings)).toBe('/downloads');
  });

  it('changes nothing without mappings', () => {
    expect(toLocalPath('/downloads/a', [])).toBe('/downloads/a');
  });
});
