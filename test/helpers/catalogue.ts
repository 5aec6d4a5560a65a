import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SimFile, SimUser } from '../../emulator/emulator.js';
import { makeTone } from './audio.js';

const ARTISTS = [
  'Aurora Fields',
  'Basalt',
  'Cinder Vale',
  'Dune Harbor',
  'Ember Coast',
  'Fjord Lights',
  'Granite Moth',
  'Harbor Echo',
  'Indigo Tide',
  'Juniper Sky',
  'Kestrel Run',
  'Lumen Drift',
  'Marrow Bay',
  'Nimbus Rail',
  'Onyx Garden',
  'Pale Orchard',
  'Quartz Relay',
  'Rivet Choir',
  'Saffron Loop',
  'Tundra Bloom',
  'Umber Pike',
  'Velvet Static',
  'Willow Drone',
  'Xenon Parade',
  'Yarrow Coil',
  'Zephyr Lane',
  'Amber Vault',
  'Birch Signal',
  'Cobalt Fern',
  'Delta Hymn',
];
const TITLES = [
  'Morning Glass',
  'Paper Rivers',
  'Silent Engine',
  'Copper Moon',
  'Hollow Lanterns',
  'Winter Arcade',
  'Salt Cathedral',
  'Neon Orchard',
  'Broken Compass',
  'Glass Meridian',
  'Distant Ferris',
  'Velvet Harbor',
  'Iron Lullaby',
  'Quiet Satellite',
  'Amber Highway',
  'Cloud Foundry',
  'Marble Tide',
  'Orange Signal',
  'Crimson Atlas',
  'Hidden Meadow',
  'Static Bloom',
  'Golden Wires',
  'Tidal Stairs',
  'Fading Beacon',
  'Lunar Garden',
  'Coral Machine',
  'Rusty Halo',
  'Secret Canal',
  'Frozen Parade',
  'Electric Fable',
];

export interface CatalogueTrack {
  artist: string;
  title: string;
  album: string;
  trackNumber: number;
  durationSeconds: number;
  /** The one file SoulSpot should pick. */
  expected: { username: string; filename: string; localPath: string };
}

/**
 * A share where every wanted track has one right file (FLAC, right duration) among decoys: a remix,
 * a live take, a karaoke version, a longer file at higher resolution, an MP3 at 128 kbps, and the
 * same title by another artist. Each right file has its own bytes, so the library can be checked.
 */
export async function buildCatalogue(
  dir: string,
  count: number,
  goodUsers = 6,
): Promise<{ tracks: CatalogueTrack[]; users: SimUser[] }> {
  mkdirSync(dir, { recursive: true });
  const decoy = {
    flac: path.join(dir, 'decoy-3s.flac'),
    long: path.join(dir, 'decoy-12s.flac'),
    mp3: path.join(dir, 'decoy-3s.mp3'),
  };
  await makeTone(decoy.flac, { seconds: 3, frequency: 110, format: 'flac' });
  await makeTone(decoy.long, { seconds: 12, frequency: 130, format: 'flac' });
  await makeTone(decoy.mp3, { seconds: 3, frequency: 150, format: 'mp3', bitrateKbps: 128 });

  const files = new Map<string, SimFile[]>();
  const add = (user: string, file: SimFile): void => {
    files.set(user, [...(files.get(user) ?? []), file]);
  };
  const tracks: CatalogueTrack[] = [];
  for (let i = 0; i < count; i++) {
    const artist = ARTISTS[i % ARTISTS.length] as string;
    const title = `${TITLES[i % TITLES.length] as string}${i >= TITLES.length ? ` ${Math.floor(i / TITLES.length) + 1}` : ''}`;
    const album = `${artist.split(' ')[0] as string} Sessions`;
    const n = String((i % 12) + 1).padStart(2, '0');
    const localPath = path.join(dir, `track-${i}.flac`);
    await makeTone(localPath, { seconds: 3, frequency: 300 + i * 15, format: 'flac' });
    const username = `good${i % goodUsers}`;
    const filename = `@@g${i % goodUsers}x\\Music\\${artist}\\${album} (2001) [FLAC]\\${n} - ${title}.flac`;
    add(username, { remotePath: filename, localPath, bitDepth: 16, sampleRate: 22050 });
    add('remixer', {
      remotePath: `@@rmx\\Music\\${artist}\\Singles\\${title} (Club Remix).flac`,
      localPath: decoy.flac,
    });
    add('liveuser', {
      remotePath: `@@lv\\Music\\${artist}\\Live at the Dome\\${n} - ${title} (Live).flac`,
      localPath: decoy.flac,
    });
    add('karaoke', {
      remotePath: `@@kar\\Karaoke\\${artist} - ${title} (Karaoke Version).flac`,
      localPath: decoy.flac,
    });
    add('hires', {
      remotePath: `@@hr\\Music\\${artist}\\${album} [24-96]\\${n} - ${title}.flac`,
      localPath: decoy.long,
      bitDepth: 24,
      sampleRate: 96000,
    });
    add('lowq', {
      remotePath: `@@lq\\mp3\\${artist}\\${album}\\${n} - ${title}.mp3`,
      localPath: decoy.mp3,
      bitRate: 128,
    });
    add('impostor', {
      remotePath: `@@imp\\Music\\Impostor Band\\${title}.flac`,
      localPath: decoy.flac,
    });
    tracks.push({
      artist,
      title,
      album,
      trackNumber: (i % 12) + 1,
      durationSeconds: 3,
      expected: { username, filename, localPath },
    });
  }
  const users: SimUser[] = [...files.entries()].map(([username, f]) => ({ username, files: f }));
  return { tracks, users };
}

/** The API request for a catalogue track. */
export function requestFor(t: CatalogueTrack) {
  return {
    artist: t.artist,
    title: t.title,
    album: t.album,
    trackNumber: t.trackNumber,
    durationSeconds: t.durationSeconds,
  };
}
