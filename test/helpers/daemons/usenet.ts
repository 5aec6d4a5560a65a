// Real Usenet daemons on loopback for tests (/work/shared/field/real-peers.md section 3): a private
// INN news server, NZBGet and SABnzbd, each on free ports with all its state under a mkdtemp dir.
// Start each once per test file (beforeAll) and stop it in afterAll:
//
//   const inn = await startInn();                       // innd + nnrpd, group alt.binaries.test
//   const file = await postYenc('a.flac', data, { port: inn.port });   // yenc.ts
//   const nzb = writeNzb([file]);                       // nzb.ts
//   const album = await postAlbum(inn);                 // nzb.ts: 3 FLAC tones posted, NZBs served
//   const nzbget = await startNzbget({ nntpPort: inn.port });
//   const sab = await startSabnzbd({ nntpPort: inn.port });
//   ... await sab.stop(); await nzbget.stop(); await inn.stop();
//
// INN is installed system-wide, but each suite runs its own instance: a copy of /etc/news with
// every path (spool, history, run, logs) under the temp dir, read through INNCONF. So suites never
// share a spool (no stale spool files: the "240 but not stored" gotcha of real-peers.md 3a) and
// may run side by side; a lock file under /tmp still serialises the start-up, which touches the
// shared /etc/news only to read it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmod,
  copyFile,
  cp,
  mkdir,
  mkdtemp,
  open,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { sleep, waitUntil } from '../wait.js';

const run = promisify(execFile);
const NEWS_BIN = '/usr/lib/news/bin';
export const TEST_GROUP = 'alt.binaries.test';

/** A free TCP port on loopback (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** A daemon child, logged to a file; `stop` ends it by its PID (TERM, then KILL after `graceMs`). */
function spawnLogged(
  command: string,
  args: string[],
  log: string,
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  void open(log, 'a').then((handle) => {
    const write = (b: Buffer): void => void handle.write(b).catch(() => undefined);
    child.stdout?.on('data', write);
    child.stderr?.on('data', write);
    child.once('exit', () => void handle.close().catch(() => undefined));
  });
  return child;
}

export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const exitedEarly = (child: ChildProcess, what: string, log: string) => async (): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) {
    const text = await readFile(log, 'utf8').catch(() => '');
    throw new Error(`${what} exited (code ${child.exitCode}): ${text.slice(-800)}`);
  }
};

/** A daemon that did not come up is stopped and its dir removed before the error goes on. */
async function failedStartStops(
  child: ChildProcess,
  dir: string,
  ready: Promise<unknown>,
): Promise<void> {
  try {
    await ready;
  } catch (error) {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// INN
// ---------------------------------------------------------------------------------------------

export interface Inn {
  host: '127.0.0.1';
  /** nnrpd, the reader port clients (and the poster) use. */
  port: number;
  group: string;
  dir: string;
  stop(): Promise<void>;
}

const INN_LOCK = path.join(tmpdir(), 'soulspot-inn-start.lock');

/** Takes the start-up lock (a file created exclusively; a stale one older than 60 s is taken over). */
async function withInnLock<T>(task: () => Promise<T>): Promise<T> {
  await waitUntil(
    async () => {
      try {
        await (await open(INN_LOCK, 'wx')).close();
        return true;
      } catch {
        const { mtimeMs } = await stat(INN_LOCK).catch(() => ({ mtimeMs: Date.now() }));
        if (Date.now() - mtimeMs > 60_000) await rm(INN_LOCK, { force: true });
        return false;
      }
    },
    { what: `the INN start-up lock ${INN_LOCK}`, timeoutMs: 120_000, intervalMs: 200 },
  );
  try {
    return await task();
  } finally {
    await rm(INN_LOCK, { force: true });
  }
}

/** innd (feeder, on its own port) and nnrpd (reader) as user news, with group `alt.binaries.test`. */
export async function startInn(): Promise<Inn> {
  const dir = await mkdtemp(path.join(tmpdir(), 'soulspot-inn-'));
  await chmod(dir, 0o755);
  const feedPort = await freePort();
  const port = await freePort();
  const conf = path.join(dir, 'etc', 'inn.conf');
  const env = { INNCONF: conf };
  const asNews = (bin: string, args: string[]): [string, string[]] => [
    'setpriv',
    ['--reuid=news', '--regid=news', '--init-groups', path.join(NEWS_BIN, bin), ...args],
  ];
  const ctlinnd = (...args: string[]) =>
    run(...asNews('ctlinnd', ['-t', '5', ...args]), { env: { ...process.env, ...env }, cwd: dir });

  const started: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    const [innd, nnrpd] = started;
    if (nnrpd) await stopChild(nnrpd);
    if (innd) {
      await ctlinnd('shutdown', 'done').catch(() => undefined);
      await stopChild(innd);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await withInnLock(async () => {
      for (const sub of [
        'db',
        'run',
        'log',
        'tmp',
        'spool/articles',
        'spool/overview',
        'spool/incoming',
        'spool/outgoing',
        'spool/archive',
        'spool/innfeed',
      ]) {
        await mkdir(path.join(dir, sub), { recursive: true });
      }
      await cp('/etc/news', path.join(dir, 'etc'), { recursive: true });
      for (const file of ['active', 'newsgroups']) {
        await copyFile(path.join('/var/lib/news', file), path.join(dir, 'db', file));
      }
      await writeFile(path.join(dir, 'db', 'history'), '');
      const paths: Record<string, string> = {
        port: String(feedPort),
        bindaddress: '127.0.0.1',
        nnrpdpostport: String(feedPort),
        icdsynccount: '1', // every article is on disk (and STAT-able) once innd accepts it
        // nnrpd refuses readers ("400 load too high") above this load average, which a shared
        // 2-core machine running several suites passes: 0 turns the check off.
        nnrpdloadlimit: '0',
        pathhost: 'test.localdomain',
        domain: 'localdomain',
        pathetc: path.join(dir, 'etc'),
        pathfilter: path.join(dir, 'etc', 'filter'),
        pathdb: path.join(dir, 'db'),
        pathrun: path.join(dir, 'run'),
        pathlog: path.join(dir, 'log'),
        pathhttp: path.join(dir, 'log'),
        pathtmp: path.join(dir, 'tmp'),
        pathspool: path.join(dir, 'spool'),
        patharticles: path.join(dir, 'spool', 'articles'),
        pathoverview: path.join(dir, 'spool', 'overview'),
        pathincoming: path.join(dir, 'spool', 'incoming'),
        pathoutgoing: path.join(dir, 'spool', 'outgoing'),
        patharchive: path.join(dir, 'spool', 'archive'),
      };
      const original = await readFile(conf, 'utf8');
      const kept = original
        .split('\n')
        .filter((line) => !Object.hasOwn(paths, /^#?\s*([a-z]+):/.exec(line)?.[1] ?? ''));
      await writeFile(
        conf,
        [...kept, ...Object.entries(paths).map(([k, v]) => `${k}: ${v}`), ''].join('\n'),
      );
      await run('chown', ['-R', 'news:news', dir]);
      await run(...asNews('makedbz', ['-i', '-o']), { env: { ...process.env, ...env }, cwd: dir });
      const feeder = spawnLogged(...asNews('innd', ['-f']), path.join(dir, 'innd.log'), env);
      started.push(feeder);
      await waitUntil(
        async () => {
          await exitedEarly(feeder, 'innd', path.join(dir, 'innd.log'))();
          return ctlinnd('mode').then(
            () => true,
            () => false,
          );
        },
        { what: 'innd to answer ctlinnd', timeoutMs: 30_000, intervalMs: 200 },
      );
      await ctlinnd('newgroup', TEST_GROUP, 'y');
      const reader = spawnLogged(
        ...asNews('nnrpd', ['-D', '-f', '-b', '127.0.0.1', '-p', String(port)]),
        path.join(dir, 'nnrpd.log'),
        env,
      );
      started.push(reader);
    });
    await waitUntil(
      async () => {
        await exitedEarly(started[1]!, 'nnrpd', path.join(dir, 'nnrpd.log'))();
        return greets(port);
      },
      { what: 'nnrpd to greet', timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (error) {
    // A failed start leaves nothing running (afterAll has no handle to stop it with).
    await stop();
    throw error;
  }
  return { host: '127.0.0.1', port, group: TEST_GROUP, dir, stop };
}

/** True once something on `port` sends an NNTP 200 greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('data', (b: Buffer) => {
      socket.end('QUIT\r\n');
      resolve(b.toString('latin1').startsWith('200'));
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// NZBGet
// ---------------------------------------------------------------------------------------------

export interface NzbgetDaemon {
  url: string;
  username: string;
  password: string;
  /** NZBGet's DestDir: finished jobs land in `<destDir>/<category>/<name>`. */
  destDir: string;
  dir: string;
  stop(): Promise<void>;
}

/**
 * NZBGet 21 in server mode with a config file made from Debian's example. Not `-n`: without a
 * config file its folders do not follow MainDir (real-peers.md 3c: it wrote to ~/downloads, where
 * a stale queue turned the next add into DELETED/DUPE).
 */
export async function startNzbget(options: {
  nntpPort: number;
  password?: string;
}): Promise<NzbgetDaemon> {
  const dir = await mkdtemp(path.join(tmpdir(), 'soulspot-nzbget-'));
  const port = await freePort();
  const password = options.password ?? 'nzbget-test-pass';
  const values: Record<string, string> = {
    MainDir: dir,
    DestDir: path.join(dir, 'dst'),
    InterDir: path.join(dir, 'inter'),
    NzbDir: path.join(dir, 'nzb'),
    QueueDir: path.join(dir, 'queue'),
    TempDir: path.join(dir, 'tmp'),
    ScriptDir: path.join(dir, 'scripts'),
    LockFile: path.join(dir, 'nzbget.lock'),
    LogFile: path.join(dir, 'nzbget.log'),
    ControlIP: '127.0.0.1',
    ControlPort: String(port),
    ControlUsername: 'nzbget',
    ControlPassword: password,
    OutputMode: 'log',
    UpdateCheck: 'none',
    DaemonUsername: 'root',
    DiskSpace: '0', // the shared machine's free space must not pause the queue
    ArticleRetries: '1',
    ArticleInterval: '1',
    'Server1.Host': '127.0.0.1',
    'Server1.Port': String(options.nntpPort),
    'Server1.Username': '',
    'Server1.Password': '',
    'Server1.Connections': '2',
    'Server1.Active': 'yes',
  };
  const example = gunzipSync(
    await readFile('/usr/share/doc/nzbget/examples/nzbget.conf.gz'),
  ).toString('utf8');
  const lines = example.split('\n').map((line) => {
    const key = /^([A-Za-z0-9.]+)=/.exec(line)?.[1];
    return key !== undefined && Object.hasOwn(values, key) ? `${key}=${values[key]}` : line;
  });
  const conf = path.join(dir, 'nzbget.conf');
  await writeFile(conf, lines.join('\n'));
  const log = path.join(dir, 'stdout.log');
  const child = spawnLogged('nzbget', ['-c', conf, '-s'], log);
  const url = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`nzbget:${password}`).toString('base64')}`;
  await failedStartStops(
    child,
    dir,
    waitUntil(
      async () => {
        await exitedEarly(child, 'nzbget', log)();
        const reply = await fetch(`${url}/jsonrpc`, {
          method: 'POST',
          headers: { authorization: auth },
          body: JSON.stringify({ method: 'version' }),
        });
        return reply.ok;
      },
      { what: 'NZBGet to answer version', timeoutMs: 30_000, intervalMs: 100 },
    ),
  );
  return {
    url,
    username: 'nzbget',
    password,
    destDir: values.DestDir!,
    dir,
    async stop() {
      await fetch(`${url}/jsonrpc`, {
        method: 'POST',
        headers: { authorization: auth },
        body: JSON.stringify({ method: 'shutdown' }),
      }).catch(() => undefined);
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(3_000)]);
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SABnzbd
// ---------------------------------------------------------------------------------------------

export interface SabnzbdDaemon {
  url: string;
  apiKey: string;
  /** SABnzbd's complete_dir: finished jobs land in `<completeDir>/<category dir>/<name>`. */
  completeDir: string;
  dir: string;
  stop(): Promise<void>;
}

/** SABnzbd 3.7 with the minimal ini of real-peers.md 3d (no wizard needed for the API). */
export async function startSabnzbd(options: {
  nntpPort: number;
  category?: string;
}): Promise<SabnzbdDaemon> {
  const dir = await mkdtemp(path.join(tmpdir(), 'soulspot-sab-'));
  const port = await freePort();
  const apiKey = '0123456789abcdef0123456789abcdef';
  const category = options.category ?? 'soulspot';
  const completeDir = path.join(dir, 'complete');
  const ini = [
    '__version__ = 19',
    '[misc]',
    'host = 127.0.0.1',
    `port = ${port}`,
    `api_key = ${apiKey}`,
    'nzb_key = fedcba9876543210fedcba9876543210',
    `download_dir = ${path.join(dir, 'incomplete')}`,
    `complete_dir = ${completeDir}`,
    'auto_browser = 0',
    'check_new_rel = 0',
    '[servers]',
    '[[local]]',
    'name = local',
    'host = 127.0.0.1',
    `port = ${options.nntpPort}`,
    'connections = 2',
    'ssl = 0',
    'enable = 1',
    '[categories]',
    '[[*]]',
    'name = *',
    'pp = 3',
    'dir = ""',
    `[[${category}]]`,
    `name = ${category}`,
    `dir = ${category}`,
    '',
  ].join('\n');
  const file = path.join(dir, 'sabnzbd.ini');
  await writeFile(file, ini);
  const log = path.join(dir, 'stdout.log');
  const child = spawnLogged(
    'sabnzbdplus',
    ['-f', file, '-b', '0', '--disable-file-log', '--console', '-l', '0'],
    log,
  );
  const url = `http://127.0.0.1:${port}`;
  await failedStartStops(
    child,
    dir,
    waitUntil(
      async () => {
        await exitedEarly(child, 'sabnzbdplus', log)();
        const reply = await fetch(`${url}/api?mode=version&output=json`);
        return reply.ok;
      },
      { what: 'SABnzbd to answer mode=version', timeoutMs: 60_000, intervalMs: 200 },
    ),
  );
  return {
    url,
    apiKey,
    completeDir,
    dir,
    async stop() {
      await fetch(`${url}/api?mode=shutdown&apikey=${apiKey}`).catch(() => undefined);
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(5_000)]);
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
