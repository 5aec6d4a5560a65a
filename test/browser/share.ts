import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SimUser } from '../../emulator/emulator.js';
import { makeTone } from '../helpers/audio.js';

export interface ShareTrack {
  artist: string;
  title: string;
}

/**
 * One peer sharing one short FLAC per track (`Artist\Album\NN - Title.flac`), so each track the
 * browser adds is found, downloaded and filed in about a second.
 */
export async function shareOf(
  tracks: ShareTrack[],
  username = 'browserpeer',
): Promise<{ users: SimUser[]; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'soulspot-browser-share-'));
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const [i, t] of tracks.entries()) {
    const localPath = path.join(dir, `track-${i}.flac`);
    await makeTone(localPath, { seconds: 2, frequency: 300 + i * 20, format: 'flac' });
    const n = String(i + 1).padStart(2, '0');
    files.push({
      remotePath: `@@bp\\Music\\${t.artist}\\Browser Sessions (2020)\\${n} - ${t.title}.flac`,
      localPath,
      bitDepth: 16,
      sampleRate: 22050,
    });
  }
  return { users: [{ username, files }], dir };
}
