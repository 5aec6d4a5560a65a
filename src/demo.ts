import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator, type SimUser } from '../emulator/emulator.js';
import { loadConfig } from './config/config.js';
import type { DownloadDto } from './downloads/download.dto.js';
import { startSoulSpot } from './main.js';

/**
 * `npm run demo`: the slskd emulator with a small share of real audio files (shipped in
 * fixtures/audio, so no ffmpeg is needed), SoulSpot against it, and a few tracks queued that complete.
 * Everything lives in ./.demo and is made fresh on each run.
 */
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const audio = (name: string): string => path.join(repo, 'fixtures', 'audio', name);
const root = path.resolve(process.env.SOULSPOT_DEMO_DIR ?? '.demo');

const users: SimUser[] = [
  {
    username: 'vinylhound',
    behaviour: { uploadSpeed: 25_000 },
    files: [
      {
        remotePath:
          '@@vnl01\\Music\\The Sine Waves\\Pure Tones (2001) [FLAC]\\01 - Concert Pitch.flac',
        localPath: audio('tone-a.flac'),
      },
      {
        remotePath: '@@vnl01\\Music\\The Sine Waves\\Pure Tones (2001) [FLAC]\\02 - Low Hum.flac',
        localPath: audio('tone-b.flac'),
      },
    ],
  },
  {
    username: 'mp3collector',
    behaviour: { uploadSpeed: 40_000, queueLength: 2 },
    files: [
      {
        remotePath: 'C:\\Users\\mc\\Music\\Sine Waves, The - Concert Pitch (Club Remix).mp3',
        localPath: audio('tone-c.mp3'),
        bitRate: 320,
      },
      {
        remotePath: 'C:\\Users\\mc\\Music\\The Sine Waves - Low Hum.mp3',
        localPath: audio('tone-d.mp3'),
        bitRate: 128,
      },
      {
        remotePath: 'C:\\Users\\mc\\Music\\Square Deal\\Pulse Train\\03 - Duty Cycle.mp3',
        localPath: audio('tone-c.mp3'),
        bitRate: 320,
      },
    ],
  },
  {
    username: 'flacfriend',
    behaviour: { uploadSpeed: 30_000, remoteQueueMs: 1500 },
    files: [
      {
        remotePath: '@@ffr\\Shared\\Square Deal\\Pulse Train (1999)\\04 - Rise Time.mp3',
        localPath: audio('tone-d.mp3'),
        bitRate: 320,
      },
    ],
  },
];

const tracks = [
  {
    artist: 'The Sine Waves',
    title: 'Concert Pitch',
    album: 'Pure Tones',
    trackNumber: 1,
    year: 2001,
  },
  { artist: 'The Sine Waves', title: 'Low Hum', album: 'Pure Tones', trackNumber: 2, year: 2001 },
  { artist: 'Square Deal', title: 'Duty Cycle', album: 'Pulse Train', trackNumber: 3 },
  { artist: 'Square Deal', title: 'Rise Time', album: 'Pulse Train', trackNumber: 4, priority: 10 },
];

async function main(): Promise<void> {
  rmSync(root, { recursive: true, force: true });
  const downloadsDir = path.join(root, 'slskd', 'downloads');
  const incompleteDir = path.join(root, 'slskd', 'incomplete');
  mkdirSync(downloadsDir, { recursive: true });
  mkdirSync(incompleteDir, { recursive: true });
  const slskdKey = 'demo-slskd-key-0123456789';
  const emulator = await createEmulator({
    apiKey: slskdKey,
    downloadsDir,
    incompleteDir,
    users,
    searchTimeoutCapMs: 1500,
  });

  const config = loadConfig({
    ...process.env,
    SOULSPOT_DATA_DIR: path.join(root, 'data'),
    SOULSPOT_LIBRARY_DIR: process.env.SOULSPOT_LIBRARY_DIR ?? path.join(root, 'library'),
    SOULSPOT_SLSKD_URL: emulator.url,
    SOULSPOT_SLSKD_API_KEY: slskdKey,
    SOULSPOT_SLSKD_DOWNLOADS_DIR: downloadsDir,
    SOULSPOT_SEARCH_TIMEOUT_SECONDS: '2',
    SOULSPOT_POLL_INTERVAL_MS: '500',
    SOULSPOT_LOG_LEVEL: process.env.SOULSPOT_LOG_LEVEL ?? 'warn',
  });
  const soulspot = await startSoulSpot(config);
  console.log(`slskd emulator:  ${emulator.url}`);
  console.log(`Web UI:          ${soulspot.url}/   (log in with the API key below)`);
  console.log(`SoulSpot API:    ${soulspot.url}/api   (API docs: ${soulspot.url}/api/docs)`);
  console.log(`API key:         ${config.apiKey}`);
  console.log(`Library:         ${config.libraryDir}\n`);
  console.log(`Try: curl -H 'X-Api-Key: ${config.apiKey}' ${soulspot.url}/api/downloads\n`);

  const seen = new Map<string, string>();
  soulspot.bus.on('download.updated', (d: DownloadDto) => {
    const line = `${d.status}${d.status === 'downloading' ? ` ${Math.round(d.progress)}%` : ''}`;
    if (seen.get(d.id) === line) return;
    seen.set(d.id, line);
    const where = d.libraryPath
      ? ` -> ${path.relative(process.cwd(), d.libraryPath)}`
      : d.source
        ? ` from ${d.source.username}`
        : '';
    console.log(
      `  ${d.artist} - ${d.title}: ${line}${where}${d.errorMessage && d.status !== 'completed' ? ` (${d.errorMessage})` : ''}`,
    );
  });

  for (const track of tracks) {
    const res = await fetch(`${soulspot.url}/api/downloads`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': config.apiKey },
      body: JSON.stringify(track),
    });
    if (res.status !== 201)
      throw new Error(`queueing ${track.title} failed: ${res.status} ${await res.text()}`);
  }
  console.log(`Queued ${tracks.length} tracks.\n`);

  const finished = new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      void soulspot.downloads.counts().then((c) => {
        if ((c.completed ?? 0) + (c.failed ?? 0) >= tracks.length) {
          clearInterval(timer);
          resolve();
        }
      });
    }, 250);
  });
  await finished;
  const counts = await soulspot.downloads.counts();
  console.log(`\nDone: ${counts.completed ?? 0} completed, ${counts.failed ?? 0} failed.`);

  if (process.env.SOULSPOT_DEMO_EXIT === '1') {
    await soulspot.stop();
    await emulator.close();
    process.exit(counts.completed === tracks.length ? 0 : 1);
  }
  console.log('SoulSpot keeps running; press Ctrl+C to stop.');
  const stop = (): void => {
    void soulspot
      .stop()
      .then(() => emulator.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
