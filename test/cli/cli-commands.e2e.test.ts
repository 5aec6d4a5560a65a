import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import { makeTone } from '../helpers/audio.js';
import { buildCatalogue, type CatalogueTrack } from '../helpers/catalogue.js';
import { API_KEY, fastEnv, startEmulatorIn, startStack, type Stack } from '../helpers/stack.js';
import { freePort } from '../helpers/process.js';
import { cleanEnv, runCli } from './run-cli.js';

// queue, cancel/retry/pause/resume, search, status and watch against a real server and the slskd
// emulator; then standalone mode, where the CLI starts SoulSpot itself.

let stack: Stack;
let tracks: CatalogueTrack[];
let dir: string;
let env: Record<string, string>;
const name = (t: { artist: string; title: string }): string => `${t.artist} - ${t.title}`;
const SLOW = { artist: 'Tidal Engine', title: 'Slow Current' };
const ALBUM = { artist: 'Copper Moth', album: 'Lanterns', titles: ['Wick', 'Flame', 'Ember'] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'soulspot-cli-cmd-'));
  const catalogue = await buildCatalogue(path.join(dir, 'share'), 4);
  tracks = catalogue.tracks;
  const slowFile = path.join(dir, 'share', 'slow.flac');
  await makeTone(slowFile, { seconds: 12, frequency: 610, format: 'flac' });
  const albumFiles = await Promise.all(
    ALBUM.titles.map(async (title, i) => {
      const localPath = path.join(dir, 'share', `album-${i}.flac`);
      await makeTone(localPath, { seconds: 2, frequency: 700 + 40 * i, format: 'flac' });
      return {
        remotePath: `@@cm\\Music\\${ALBUM.artist}\\${ALBUM.album} (2019)\\0${i + 1} - ${title}.flac`,
        localPath,
      };
    }),
  );
  stack = await startStack({
    users: [
      ...catalogue.users,
      {
        username: 'slowpeer',
        files: [
          {
            remotePath: `@@slow\\Music\\${SLOW.artist}\\Flow\\01 - ${SLOW.title}.flac`,
            localPath: slowFile,
          },
        ],
        behaviour: { uploadSpeed: 40_000 },
      },
      { username: 'albumpeer', files: albumFiles },
    ],
    env: { SOULSPOT_MAX_RETRIES: '0' },
  });
  env = cleanEnv({ SOULSPOT_URL: stack.soulspot.url, SOULSPOT_API_KEY: API_KEY });
});
afterAll(async () => {
  await stack?.close();
});

describe('commands against a server', () => {
  it('status: health with the provider, exit 0', async () => {
    const run = await runCli(['status'], { env, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`SoulSpot at ${stack.soulspot.url}: ok`);
    expect(run.stdout).toContain('  provider slskd: up');
  });

  it('search: ranked results with their reasons, the right file first', async () => {
    const t = tracks[0] as CatalogueTrack;
    const run = await runCli(['search', t.artist, t.title, '--rejected'], { env, cwd: dir });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^\d+ files found for ".+" \(profile .+\): \d+ ranked, \d+ rejected$/);
    expect(lines[1]).toMatch(new RegExp(`^  1\\. \\d+(\\.\\d+)?  FLAC .* ${t.expected.username}$`));
    expect(lines[2]).toBe(`     ${t.expected.filename}`);
    expect(lines[3]).toMatch(/^ {5}why: .*flac/);
    // The decoys are rejected, each with its reason (remix, live, karaoke: not asked for).
    expect(run.stdout).toMatch(/Rejected:\n/);
    expect(run.stdout).toMatch(/\(Club Remix\)\.flac\n {5}\S.+/);
    const json = await runCli(['--json', 'search', t.artist, t.title, '-n', '1'], {
      env,
      cwd: dir,
    });
    const doc = JSON.parse(json.stdout) as { ranked: Array<{ username: string; notes: string[] }> };
    expect(doc.ranked).toHaveLength(1);
    expect(doc.ranked[0]?.username).toBe(t.expected.username);
  });

  it(
    'get --album: the folder is found, its tracks follow, the summary counts them',
    { timeout: 120_000 },
    async () => {
      const run = await runCli(['get', '--album', `${ALBUM.artist} - ${ALBUM.album}`], {
        env,
        cwd: dir,
      });
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      expect(run.stdout.split('\n')[0]).toBe(
        `Album ${ALBUM.artist} - ${ALBUM.album}: 0 tracks so far, looking for its folder`,
      );
      for (const [i, title] of ALBUM.titles.entries()) {
        const file = path.join(
          stack.config.libraryDir,
          ALBUM.artist,
          ALBUM.album,
          `0${i + 1} - ${title}.flac`,
        );
        expect(run.stdout).toContain(`completed   ${ALBUM.artist} - ${title} -> ${file}`);
      }
      expect(run.stdout).toContain('Summary: 3 completed, 0 failed, 0 cancelled');
    },
  );

  // A dozen CLI runs: each starts a Node process, which takes seconds on a loaded machine.
  it(
    'queue lists with filters; retry, cancel, pause and resume go through the batch endpoint',
    { timeout: 240_000 },
    async () => {
      const ok = tracks[1] as CatalogueTrack;
      const got = await runCli(['--json', 'get', name(ok), 'Nobody - Has It'], { env, cwd: dir });
      expect(got.code).toBe(1);
      const { items } = JSON.parse(got.stdout) as { items: [{ id: string }, { id: string }] };
      const [done, failed] = items;

      const list = await runCli(['queue', '--status', 'failed'], { env, cwd: dir });
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(
        new RegExp(`^${failed.id}  failed +0%  Nobody - Has It: no_results: `, 'm'),
      );
      expect(list.stdout).not.toContain(done.id);
      const byText = JSON.parse(
        (await runCli(['--json', 'queue', '-q', ok.title], { env, cwd: dir })).stdout,
      ) as {
        items: Array<{ id: string }>;
      };
      expect(byText.items.map((i) => i.id)).toEqual([done.id]);
      expect((await runCli(['queue', '--status', 'nonsense'], { env, cwd: dir })).code).toBe(2);

      // A completed download cannot be cancelled: the batch says so, exit 1.
      const cancel = await runCli(['cancel', done.id], { env, cwd: dir });
      expect(cancel.code).toBe(1);
      expect(cancel.stdout).toMatch(new RegExp(`^0 cancelled, 1 not\\n  ${done.id}: conflict: `));
      const retry = await runCli(['retry', failed.id], { env, cwd: dir });
      expect(retry.stdout).toBe('1 retried, 0 not\n');
      expect(retry.code).toBe(0);
      await stack.waitFor((all) => all.find((d) => d.id === failed.id)?.status === 'failed');
      // Pause and resume a waiting one while the queue is paused (so it stays waiting).
      await stack.api('POST', '/api/queue/pause');
      const waiting = await stack.api<{ id: string }>('POST', '/api/downloads', {
        artist: 'Held',
        title: 'Back',
      });
      const pause = await runCli(['--json', 'pause', waiting.body.id], { env, cwd: dir });
      expect(JSON.parse(pause.stdout)).toEqual({
        action: 'pause',
        successCount: 1,
        failedCount: 0,
        errors: [],
      });
      expect(
        (await stack.api<{ status: string }>('GET', `/api/downloads/${waiting.body.id}`)).body
          .status,
      ).toBe('paused');
      expect((await runCli(['resume', waiting.body.id], { env, cwd: dir })).code).toBe(0);
      expect((await runCli(['cancel', waiting.body.id], { env, cwd: dir })).code).toBe(0);
      await stack.api('POST', '/api/queue/resume');
    },
  );

  it(
    'watch --until-idle follows everything from the event stream until nothing is left',
    { timeout: 120_000 },
    async () => {
      // Held until watch is connected, so it sees the track through every stage.
      await stack.api('POST', '/api/queue/pause');
      const queued = await runCli(['get', '--no-wait', name(SLOW)], { env, cwd: dir });
      expect(queued.code, queued.stderr).toBe(0);
      expect(queued.stdout).toContain('Queued 1 track (not waiting');
      let resumed = false;
      const run = await runCli(['watch', '--until-idle'], {
        env,
        cwd: dir,
        onStdout: (sofar) => {
          if (!resumed && sofar.includes('Watching')) {
            resumed = true;
            void stack.api('POST', '/api/queue/resume');
          }
        },
      });
      expect(run.code, run.stdout).toBe(0);
      expect(run.stdout).toMatch(/^Watching 1 unfinished downloads until none is left$/m);
      expect(run.stdout).toMatch(new RegExp(`^downloading ${name(SLOW)} \\(from slowpeer, `, 'm'));
      expect(run.stdout).toMatch(new RegExp(`^completed   ${name(SLOW)} -> `, 'm'));
      expect(run.stdout).toContain('Seen: 1 completed, 0 failed, 0 cancelled, 0 unfinished');
    },
  );

  it(
    'watch --json-lines prints each status change as a JSON line as it happens, the summary last',
    { timeout: 120_000 },
    async () => {
      await stack.api('POST', '/api/queue/pause');
      const t = tracks[0] as CatalogueTrack;
      const queued = await runCli(['get', '--no-wait', name(t)], { env, cwd: dir });
      expect(queued.code, queued.stderr).toBe(0);
      let resumed = false;
      // Without --until-idle watch never ends by itself: the completed line is read while it
      // runs (streamed, not a document at the end), and Ctrl-C ends it.
      const run = await runCli(['watch', '--json-lines'], {
        env,
        cwd: dir,
        onStderr: (sofar) => {
          if (!resumed && sofar.includes('Watching')) {
            resumed = true;
            void stack.api('POST', '/api/queue/resume');
          }
        },
        onStdout: (sofar, kill) => {
          if (sofar.includes('"status":"completed"')) kill('SIGINT');
        },
      });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const statuses = lines.filter((l) => l.type === 'status' && l.title === t.title);
      expect(statuses.map((l) => l.status)).toContain('searching');
      expect(statuses.at(-1)).toMatchObject({
        status: 'completed',
        libraryPath: expect.any(String),
      });
      expect(lines.at(-1)).toMatchObject({ type: 'summary', completed: 1, failed: 0 });
      // Notes go to stderr: stdout is JSON lines only.
      expect(run.stderr).toMatch(/Watching 1 unfinished downloads/);
      const both = await runCli(['--json', 'watch', '--json-lines'], { env, cwd: dir });
      expect(both.code).toBe(2);
    },
  );
});

/** No SOULSPOT_API_KEY: the key comes from the data dir, as a first start makes it. */
function withoutKey(vars: Record<string, string>): Record<string, string> {
  const out = cleanEnv(vars);
  delete out.SOULSPOT_API_KEY;
  return out;
}

describe('standalone', () => {
  let root: string;
  let emulator: Emulator;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'soulspot-cli-standalone-'));
    mkdirSync(path.join(root, 'work'));
    const t = tracks[3] as CatalogueTrack;
    emulator = await startEmulatorIn(root, [
      {
        username: 'onlypeer',
        files: [{ remotePath: t.expected.filename, localPath: t.expected.localPath }],
      },
    ]);
  });
  afterAll(async () => {
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('--standalone starts SoulSpot in the process, completes the track and stops', async () => {
    const t = tracks[3] as CatalogueTrack;
    const standaloneEnv = withoutKey({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: emulator.url,
      SOULSPOT_SLSKD_DOWNLOADS_DIR: path.join(root, 'slskd', 'downloads'),
    });
    const run = await runCli(['--standalone', 'get', name(t)], {
      env: standaloneEnv,
      cwd: path.join(root, 'work'),
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stderr).toMatch(
      /^Starting SoulSpot in this process \(slskd at http:\/\/127\.0\.0\.1:\d+, library /,
    );
    const file = path.join(root, 'library', t.artist, 'Unknown Album', `${t.title}.flac`);
    expect(run.stdout).toContain(`completed   ${name(t)} -> ${file}`);
    expect(existsSync(file)).toBe(true);
    expect(run.stdout).toContain('Summary: 1 completed, 0 failed, 0 cancelled');
    expect(existsSync(path.join(root, 'data', 'api-key'))).toBe(true);
    // It stopped: the next standalone run opens the same SQLite database without a clash.
    const again = await runCli(['--standalone', '--json', 'queue'], {
      env: standaloneEnv,
      cwd: root,
    });
    expect(again.code, again.stderr).toBe(0);
    const doc = JSON.parse(again.stdout) as { items: Array<{ title: string; status: string }> };
    expect(doc.items).toEqual([expect.objectContaining({ title: t.title, status: 'completed' })]);
  });

  it('a standalone SoulSpot whose slskd is down says so: exit 3', async () => {
    const down = withoutKey({
      ...fastEnv(root),
      SOULSPOT_SLSKD_URL: `http://127.0.0.1:${await freePort()}`,
    });
    const run = await runCli(['--standalone', 'get', 'Any - Thing'], { env: down, cwd: root });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('SoulSpot started, but slskd is not usable: slskd is unreachable');
  });
});
