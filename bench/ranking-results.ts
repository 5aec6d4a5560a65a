import type { Candidate } from '../src/providers/provider.js';

/**
 * 25,000 search results (slskd's default response file limit) for one request, "Radiohead -
 * Karma Police" from the album "OK Computer": what a popular track's search looks like, with the
 * right file in many folders and qualities and every kind of decoy (live folders, remixes,
 * karaoke, covers, other tracks of the album, non-audio files), Windows and `@@` share paths, and
 * some names in other scripts. Unique paths (real results rarely repeat a path), shared folders
 * (a peer's album is many files in one folder). Deterministic: the same list on every run.
 */
export function rankingResults(count = 25_000): Candidate[] {
  const folders = [
    '@@{u}\\Music\\Radiohead\\1997 - OK Computer',
    'C:\\Users\\{u}\\Music\\Radiohead\\OK Computer (OKNOTOK 2017 Remaster)',
    '@@{u}\\mp3\\Radiohead\\Live at Wembley {n}',
    'Music\\Various Artists\\90s Hits Vol. {n}',
    '@@{u}\\Karaoke\\Sing Like Radiohead',
    '@@{u}\\flac\\Radiohead\\OK Computer [24-96]',
    'D:\\Soulseek\\Radiohead Tribute\\Disc {n}',
    '@@{u}\\Музыка\\Radiohead\\OK Computer',
    '@@{u}\\音楽\\レディオヘッド\\OK Computer',
  ];
  const stems = [
    '06 - Karma Police',
    '06. Radiohead - Karma Police',
    '1-06 Karma Police',
    'Karma Police (Live)',
    'Radiohead - Karma Police (Dave Remix)',
    'Karma Police (Instrumental)',
    '07 - Climbing Up the Walls',
    '02 - Paranoid Android',
    'Karma Police [Remastered]',
    'Karma Police (Acoustic Cover)',
  ];
  const extensions = ['flac', 'mp3', 'mp3', 'm4a', 'jpg', 'ogg', 'flac', 'txt', 'opus', 'wav'];
  const out: Candidate[] = [];
  for (let i = 0; i < count; i++) {
    const user = `peer${i % 900}`;
    const folder = folders[i % folders.length]!.replace('{u}', user).replace('{n}', String(i % 7));
    const extension = extensions[(i * 7) % extensions.length]!;
    const stem = stems[(i * 3) % stems.length]!;
    // Every path unique, as real results are: some peers keep copies (" (1)") and numbered rips.
    const filename = `${folder}\\${stem}${i % 11 === 0 ? ` (${i})` : ` ${i}`}.${extension}`;
    out.push({
      provider: 'slskd',
      username: user,
      filename,
      size: 8_000_000 + ((i * 7919) % 40_000_000),
      extension,
      bitRate: [128, 192, 256, 320, 1411][i % 5],
      ...(extension === 'flac' ? { sampleRate: 44_100, bitDepth: 16 } : {}),
      lengthSeconds: 258 + (i % 13),
      hasFreeUploadSlot: i % 3 !== 0,
      queueLength: (i * 13) % 40,
      uploadSpeed: ((i * 104_729) % 5_000_000) + 1,
    });
  }
  return out;
}
