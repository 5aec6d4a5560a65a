import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/cli/exit-codes.js';
import { buildCatalogue, type CatalogueTrack } from '../helpers/catalogue.js';
import { makeTone } from '../helpers/audio.js';
import { freePort } from '../helpers/process.js';
import { API_KEY, listAll, startStack, type Stack } from '../helpers/stack.js';
import { cleanEnv, runCli } from './run-cli.js';

// The CLI as a child process against a real SoulSpot and the slskd emulator serving real audio.

const SGR = /\x1b\[[0-9;]*m/; // eslint-disable-line no-control-regex
const ANY_ESCAPE = /\x1b/; // eslint-disable-line no-control-regex

let stack: Stack;
let tracks: CatalogueTrack[];
let dir: string;
let env: Record<string, string>;
const SLOW = { artist: 'Slow Harbor', title: 'Long Crossing' };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'soulspot-cli-'));
  const catalogue = await buildCatalogue(path.join(dir, 'share'), 16);
  tracks = catalogue.tracks;
  // A 20 s FLAC from a peer sending 40 KB/s: a transfer long enough to be seen moving.
  const slowFile = path.join(dir, 'share', 'slow.flac');
  await makeTone(slowFile, { seconds: 20, frequency: 520, format: 'flac' });
  stack = await startStack({
    users: [
      ...catalogue.users,
      {
        username: 'slowpeer',
        files: [
          {
            remotePath: `@@slow\\Music\\${SLOW.artist}\\Tides\\01 - ${SLOW.title}.flac`,
            localPath: slowFile,
          },
        ],
        behaviour: { uploadSpeed: 40_000 },
      },
    ],
    env: { SOULSPOT_MAX_RETRIES: '0' },
  });
  env = cleanEnv({ SOULSPOT_URL: stack.soulspot.url, SOULSPOT_API_KEY: API_KEY });
});
afterAll(async () => {
  await stack?.close();
});

const name = (t: { artist: string; title: string }): string => `${t.artist} - ${t.title}`;

describe('soulspot get', () => {
  it('a CSV playlist of 10 tracks completes: exit 0, a line per change, the summary', async () => {
    const ten = tracks.slice(0, 10);
    // Columns in another order than artist,title; a quoted field; a column the CLI ignores.
    const csv = [
      'Title,Notes,Artist,Album,Duration',
      ...ten.map((t, i) => `"${t.title}",${i % 2 ? '"a, b"' : ''},${t.artist},${t.album},0:03`),
    ].join('\r\n');
    writeFileSync(path.join(dir, 'ten.csv'), csv);
    const run = await runCli(['get', '--file', 'ten.csv'], { env, cwd: dir, timeoutMs: 120_000 });
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).not.toMatch(ANY_ESCAPE);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('10 tracks asked for: 10 new');
    for (const t of ten) {
      const mine = lines.filter((l) => l.endsWith(name(t)) || l.includes(`${name(t)} `));
      // One line per change: never the same status twice in a row.
      const statuses = mine.map((l) => l.split(/\s+/)[0]);
      expect(
        statuses.every((s, i) => i === 0 || s !== statuses[i - 1]),
        mine.join('\n'),
      ).toBe(true);
      const done = mine.find((l) => l.startsWith('completed'));
      // The CSV gives no track number: the default pattern then files it without one.
      const file = path.join(stack.config.libraryDir, t.artist, t.album, `${t.title}.flac`);
      expect(done).toBe(`completed   ${name(t)} -> ${file}`);
      expect(existsSync(file)).toBe(true);
    }
    expect(lines.at(-1)).toBe('Summary: 10 completed, 0 failed, 0 cancelled');
    const all = await listAll(stack.api);
    expect(all.filter((d) => d.status === 'completed')).toHaveLength(10);
  });

  it('on a terminal: progress bars with speed and ETA, colours, the summary', async () => {
    const run = await runCli(['get', name(SLOW)], { env, cwd: dir, tty: true, timeoutMs: 90_000 });
    expect(run.code, run.stdout).toBe(0);
    // cli-progress bars: the shaded bar, a percentage, the speed and the ETA columns.
    expect(run.stdout).toMatch(
      // eslint-disable-next-line no-control-regex
      /downloading\x1b\[0m Slow Harbor - Long Crossing +\|[\u2588\u2591]{20}\| +\d+% /,
    );
    expect(run.stdout).toMatch(
      /[\u2588]+[\u2591]+\| +[1-9]\d?% +\d+(\.\d)? KB +\d+(\.\d)? KB\/s ETA \d+s/,
    );
    expect(run.stdout).toContain(`\x1b[32mcompleted  \x1b[0m ${name(SLOW)}`);
    expect(run.stdout).toContain('Summary: 1 completed, 0 failed, 0 cancelled');
  });

  it('on a terminal with NO_COLOR: bars still, no colour', async () => {
    const t = tracks[10] as CatalogueTrack;
    const run = await runCli(['get', name(t)], {
      env: { ...env, NO_COLOR: '1' },
      cwd: dir,
      tty: true,
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/\|[\u2588\u2591]{20}\|/);
    expect(run.stdout).not.toMatch(SGR);
    expect(run.stdout).toContain(`completed   ${name(t)}`);
  });

  it('a track nobody has: exit 1, the failure and its reason in the summary', async () => {
    const ok = tracks[11] as CatalogueTrack;
    const run = await runCli(['get', name(ok), 'Nobody Has - This Song'], { env, cwd: dir });
    expect(run.code, run.stdout).toBe(EXIT_CODES.someFailed.code);
    expect(run.stdout).toContain('Summary: 1 completed, 1 failed, 0 cancelled');
    expect(run.stdout).toMatch(/\n {2}failed Nobody Has - This Song: no_results: .+\n/);
  });

  it('--json: exactly one JSON document on stdout', async () => {
    const ok = tracks[12] as CatalogueTrack;
    const run = await runCli(['--json', 'get', name(ok), 'Nobody Has - Another Song'], {
      env,
      cwd: dir,
    });
    expect(run.code).toBe(1);
    const doc = JSON.parse(run.stdout) as {
      ok: boolean;
      summary: Record<string, number>;
      items: Array<{
        artist: string;
        title: string;
        id: string;
        status: string;
        errorCode: string | null;
        libraryPath: string | null;
      }>;
    };
    expect(run.stdout.endsWith('}\n')).toBe(true);
    expect(doc.ok).toBe(false);
    expect(doc.summary).toEqual({
      requested: 2,
      completed: 1,
      failed: 1,
      cancelled: 0,
      unfinished: 0,
    });
    expect(doc.items.map((i) => [i.artist, i.title, i.status, i.errorCode])).toEqual([
      [ok.artist, ok.title, 'completed', null],
      ['Nobody Has', 'Another Song', 'failed', 'no_results'],
    ]);
    expect(doc.items[0]?.libraryPath).toMatch(/\.flac$/);
    expect(doc.items[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads a TXT list and an M3U playlist', async () => {
    const [a, b] = [tracks[13], tracks[14]] as [CatalogueTrack, CatalogueTrack];
    writeFileSync(path.join(dir, 'list.txt'), `# two lines\n${name(a)}\n\n`);
    writeFileSync(path.join(dir, 'list.m3u8'), `#EXTM3U\n#EXTINF:3,${name(b)}\nfoo/bar.flac\n`);
    const txt = await runCli(['get', '-f', 'list.txt'], { env, cwd: dir });
    expect(txt.code, txt.stdout).toBe(0);
    expect(txt.stdout).toContain(`completed   ${name(a)} -> `);
    const m3u = await runCli(['--json', 'get', '-f', 'list.m3u8'], { env, cwd: dir });
    expect(m3u.code, m3u.stdout).toBe(0);
    const doc = JSON.parse(m3u.stdout) as {
      items: Array<{ artist: string; title: string; status: string }>;
    };
    expect(doc.items).toEqual([
      expect.objectContaining({ artist: b.artist, title: b.title, status: 'completed' }),
    ]);
    const d = (await listAll(stack.api)).find((x) => x.title === b.title);
    expect(d?.durationSeconds).toBe(3);
  });
});

describe('errors and exit codes', () => {
  it('Ctrl-C: the summary of what is unfinished, exit 130, the download stays queued', async () => {
    let sent = false;
    const run = await runCli(['get', name(SLOW)], {
      env,
      cwd: dir,
      onStdout: (sofar, kill) => {
        if (!sent && sofar.includes('downloading ')) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(run.code, run.stdout).toBe(EXIT_CODES.interrupted.code);
    expect(run.stdout).toMatch(
      /\nSummary: 0 completed, 0 failed, 0 cancelled, 1 unfinished\n {2}(downloading|processing) Slow Harbor - Long Crossing\n$/,
    );
    // Stopping the CLI does not cancel anything: the server finishes the track.
    await stack.waitFor((all) => {
      const slow = all.filter((d) => d.title === SLOW.title);
      return slow.length > 0 && slow.every((d) => d.status === 'completed');
    });
  });

  it('a wrong API key says so: exit 4', async () => {
    const run = await runCli(['get', 'Any - Thing'], {
      env: { ...env, SOULSPOT_API_KEY: 'not-the-key-0123456789' },
      cwd: dir,
    });
    expect(run.code).toBe(EXIT_CODES.auth.code);
    expect(run.stderr).toBe(
      `soulspot: SoulSpot at ${stack.soulspot.url} refused the API key (401): check --api-key or SOULSPOT_API_KEY\n`,
    );
    expect(run.stdout).toBe('');
    const status = await runCli(['--json', '--api-key', 'wrong-key-0123456789', 'status'], {
      env,
      cwd: dir,
    });
    expect(status.code).toBe(4);
    expect(JSON.parse(status.stdout)).toEqual({
      ok: false,
      error: { kind: 'auth', message: expect.stringContaining('refused the API key') },
    });
  });

  it("a server's error text reaches the terminal without its control characters", async () => {
    const hostile = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'peer \u001b]0;owned\u0007 said \u001b[2J no' }));
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
      const run = await runCli(['--url', url, 'status'], { env, cwd: dir });
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/said/);
      expect(run.stderr).not.toMatch(ANY_ESCAPE);
      expect(run.stderr).not.toContain('\u0007');
    } finally {
      await new Promise((resolve) => hostile.close(resolve));
    }
  });

  it('a server nobody runs: exit 3 with the address', async () => {
    const port = await freePort();
    const run = await runCli(['--url', `http://127.0.0.1:${port}`, 'status'], { env, cwd: dir });
    expect(run.code).toBe(EXIT_CODES.unreachable.code);
    expect(run.stderr).toContain(
      `Cannot reach SoulSpot at http://127.0.0.1:${port} (connection refused)`,
    );
  });

  it('usage errors: exit 2 before anything is sent', async () => {
    writeFileSync(path.join(dir, 'bad.txt'), 'Good - Line\njust a title\n');
    const before = (await listAll(stack.api)).length;
    const bad = await runCli(['get', '--file', 'bad.txt'], { env, cwd: dir });
    expect(bad.code).toBe(EXIT_CODES.usage.code);
    expect(bad.stderr).toContain('line 2: "just a title" is not "Artist - Title"');
    expect((await runCli(['get', 'no separator'], { env, cwd: dir })).code).toBe(2);
    expect((await runCli(['get', '--bogus'], { env, cwd: dir })).code).toBe(2);
    expect((await runCli(['get', '-f', 'missing.csv'], { env, cwd: dir })).stderr).toContain(
      'cannot read missing.csv',
    );
    expect((await runCli(['cancel', 'not-an-id'], { env, cwd: dir })).code).toBe(2);
    expect((await listAll(stack.api)).length).toBe(before);
  });
});
