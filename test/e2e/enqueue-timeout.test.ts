// An enqueue is never doubled, and never given up too early. slskd connects to the peer before it
// records a transfer, so a slow peer keeps the enqueue request open past SoulSpot's request timeout
// and the transfer appears later. A peer that never answers the queue request fails at slskd's hard
// limit, which slskd does not retry although it retries other timeouts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, PeerBehaviour, SimUser } from '../../emulator/emulator.js';
import { loadConfig } from '../../src/config/config.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';
import { createSlskdProvider } from '../../src/providers/slskd/slskd.provider.js';
import { slskdSettings } from '../../src/providers/slskd/slskd.settings.js';
import { makeTone } from '../helpers/audio.js';
import { sha } from '../helpers/files.js';
import { fastEnv, SLSKD_KEY, startEmulatorIn, startStack, type Stack } from '../helpers/stack.js';

const TRACK = {
  artist: 'Patient Choir',
  title: 'Long Wait',
  album: 'Dial Tone',
  durationSeconds: 3,
};
const remote = (user: string) => `@@${user}\\Music\\Patient Choir\\Dial Tone\\01 - Long Wait.flac`;

async function settle(api: Stack['api'], id: string): Promise<DownloadDto> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    const d = (await api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
    if (d.status === 'completed' || d.status === 'failed') return d;
    if (Date.now() > deadline) throw new Error(`download still ${d.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('enqueue timing at slskd', () => {
  let dir: string;
  let wanted: string;
  let other: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'soulspot-enqueue-e2e-'));
    wanted = path.join(dir, 'wanted.flac');
    other = path.join(dir, 'other.flac');
    await makeTone(wanted, { seconds: 3, frequency: 480, format: 'flac' });
    await makeTone(other, { seconds: 3, frequency: 720, format: 'flac' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The first choice behaves as given; the alternative advertises no free slot (ranks second). */
  const users = (first: PeerBehaviour): SimUser[] => [
    {
      username: 'first',
      behaviour: first,
      files: [{ remotePath: remote('first'), localPath: wanted }],
    },
    {
      username: 'second',
      behaviour: { hasFreeUploadSlot: false },
      files: [{ remotePath: remote('second'), localPath: other }],
    },
  ];

  describe('a peer slow to connect (the enqueue outlives the request timeout)', () => {
    let emulator: Emulator | undefined;
    let soulspot: SoulSpot | undefined;
    let root = '';
    afterEach(async () => {
      await soulspot?.stop();
      await emulator?.close();
      rmSync(root, { recursive: true, force: true });
    });

    it('is enqueued once and delivers from that source', async () => {
      root = mkdtempSync(path.join(tmpdir(), 'soulspot-slow-connect-'));
      // slskd holds the POST open 7 s, SoulSpot's requests time out after 4 s.
      emulator = await startEmulatorIn(root, users({ enqueueDelayMs: 7_000 }));
      const downloadsDir = path.join(root, 'slskd', 'downloads');
      const config = loadConfig({
        ...fastEnv(root),
        SOULSPOT_SLSKD_URL: emulator.url,
        SOULSPOT_SLSKD_DOWNLOADS_DIR: downloadsDir,
      });
      const provider = createSlskdProvider(
        slskdSettings({
          url: emulator.url,
          apiKey: SLSKD_KEY,
          downloadsDir,
          requestTimeoutMs: 4_000,
        }),
      );
      soulspot = await startSoulSpot(config, { provider, listen: false });
      const { download } = await soulspot.downloads.create(TRACK);
      const deadline = Date.now() + 45_000;
      let d = await soulspot.downloads.get(download.id);
      while (d.status !== 'completed' && d.status !== 'failed' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        d = await soulspot.downloads.get(download.id);
      }
      expect(`${d.status} ${d.errorMessage ?? ''}`).toBe('completed ');
      expect(d.attempts.map((a) => [a.username, a.outcome])).toEqual([['first', 'succeeded']]);
      expect(d.retryCount).toBe(0);
      expect(sha(d.libraryPath!)).toBe(sha(wanted));
      // One transfer at slskd: the timed-out request was looked up, not answered with another.
      expect(emulator.enqueues.map((e) => e.username)).toEqual(['first']);
    });
  });

  describe('a peer that never answers the queue request', () => {
    let stack: Stack | undefined;
    afterEach(async () => {
      await stack?.close();
      stack = undefined;
    });

    it("fails at slskd's hard limit and moves on at once, with slskd's real retry default", async () => {
      stack = await startStack({
        users: users({ ignoreQueueRequest: true }),
        // Far longer than the test may take: only slskd's own limit can end the first source.
        env: { SOULSPOT_STALL_TIMEOUT_SECONDS: '300' },
        emulator: {
          enqueueHardLimitMs: 2_000,
          retry: { attempts: 3, delayMs: 5_000, maxDelayMs: 60_000 },
        },
      });
      const created = await stack.api<DownloadDto>('POST', '/api/downloads', TRACK);
      const d = await settle(stack.api, created.body.id);
      expect(`${d.status} ${d.errorMessage ?? ''}`).toBe('completed ');
      expect(d.attempts.map((a) => [a.username, a.outcome, a.errorCode])).toEqual([
        ['first', 'failed', 'queue_timeout'],
        ['second', 'succeeded', null],
      ]);
      expect(d.attempts[0]?.errorMessage).toMatch(/hard time limit of 2 secs/);
      expect(sha(d.libraryPath!)).toBe(sha(other));
    });
  });
});
