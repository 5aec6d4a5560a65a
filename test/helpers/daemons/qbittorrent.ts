/**
 * A real qbittorrent-nox on loopback for tests (see /work/shared/field/real-peers.md §1–2): a temp
 * profile with a generated config (known password, DHT/PeX/LSD/UPnP off, WebUI and BitTorrent on
 * 127.0.0.1 only, several connections per IP so two instances on one host can trade), free ports,
 * HOME set to the temp dir so nothing lands in the real home. Stop it with `stop()` (by PID).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort } from '../process.js';
import { waitUntil } from '../wait.js';

export interface QbtDaemon {
  /** `http://127.0.0.1:<port>` (no `/api/v2`). */
  url: string;
  username: string;
  password: string;
  /** The BitTorrent listening port (for `torrents/addPeers`). */
  btPort: number;
  /** The profile folder (config, logs, resume data). */
  profile: string;
  pid: number;
  /** Calls the Web API without a session cookie: only for an instance started with `auth: false`. */
  api(route: string, body?: FormData | URLSearchParams): Promise<Response>;
  stop(): Promise<void>;
}

/** qBittorrent's WebUI password format: PBKDF2-HMAC-SHA512, 100000 rounds, 16-byte salt, 64-byte key. */
function passwordLine(password: string): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, 100_000, 64, 'sha512');
  return `WebUI\\Password_PBKDF2="@ByteArray(${salt.toString('base64')}:${key.toString('base64')})"`;
}

export function qbtConfig(o: {
  webPort: number;
  btPort: number;
  password: string;
  /** false: localhost needs no login (a helper seeder). */
  auth: boolean;
}): string {
  return [
    '[LegalNotice]',
    'Accepted=true',
    '[BitTorrent]',
    `Session\\Port=${o.btPort}`,
    // Loopback only, both its addresses (127.0.0.1 and ::1): a test can reach the same instance
    // under a second address, which libtorrent treats as another peer (see `addPeer`).
    'Session\\Interface=lo',
    'Session\\InterfaceName=lo',
    'Session\\DHTEnabled=false',
    'Session\\PeXEnabled=false',
    'Session\\LSDEnabled=false',
    // Every peer here is 127.0.0.1: without this libtorrent keeps one connection per IP and
    // qBittorrent-to-qBittorrent stalls for ever (real-peers.md §2).
    'Session\\MultiConnectionsPerIp=true',
    'Session\\QueueingSystemEnabled=false',
    'Session\\AddTrackersEnabled=false',
    '[Network]',
    'PortForwardingEnabled=false',
    '[Preferences]',
    'Connection\\ResolvePeerCountries=false',
    'General\\Locale=en',
    'WebUI\\Address=127.0.0.1',
    `WebUI\\Port=${o.webPort}`,
    'WebUI\\Username=admin',
    passwordLine(o.password),
    `WebUI\\LocalHostAuth=${o.auth ? 'true' : 'false'}`,
    'WebUI\\CSRFProtection=false',
    'WebUI\\HostHeaderValidation=false',
    '',
  ].join('\n');
}

/** Starts one instance under `dir` (created). Resolves once its Web API answers. */
export async function startQbittorrent(
  dir: string,
  options: { password?: string; auth?: boolean } = {},
): Promise<QbtDaemon> {
  const password = options.password ?? `pw-${randomBytes(6).toString('hex')}`;
  const auth = options.auth ?? true;
  const webPort = await freePort();
  const btPort = await freePort();
  const configDir = path.join(dir, 'qBittorrent', 'config');
  await mkdir(configDir, { recursive: true });
  await writeFile(
    path.join(configDir, 'qBittorrent.conf'),
    qbtConfig({ webPort, btPort, password, auth }),
  );
  const child: ChildProcess = spawn('qbittorrent-nox', [`--profile=${dir}`], {
    env: {
      ...process.env,
      HOME: dir,
      XDG_CONFIG_HOME: dir,
      XDG_DATA_HOME: dir,
      XDG_CACHE_HOME: dir,
    },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('qbittorrent-nox did not start');
  const url = `http://127.0.0.1:${webPort}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`qbittorrent-nox exited (${child.exitCode})`);
      // 403 (login needed) or 200: either way the WebUI is up.
      const r = await fetch(`${url}/api/v2/app/version`);
      await r.body?.cancel();
      return r.status === 200 || r.status === 403;
    },
    { what: 'qbittorrent-nox to answer', timeoutMs: 30_000, intervalMs: 100 },
  );
  return {
    url,
    username: 'admin',
    password,
    btPort,
    profile: dir,
    pid,
    api: (route, body) =>
      fetch(`${url}/api/v2/${route}`, body ? { method: 'POST', body } : undefined),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Adds a torrent to a no-auth instance as a seeder of the files already under `savePath`. */
export async function seedTorrent(
  seeder: QbtDaemon,
  torrent: Buffer,
  savePath: string,
  infoHash: string,
): Promise<void> {
  const form = new FormData();
  form.append('torrents', new Blob([torrent]), 'seed.torrent');
  form.append('savepath', savePath);
  const added = await seeder.api('torrents/add', form);
  if ((await added.text()).trim() !== 'Ok.') throw new Error('the seeder refused the torrent');
  await waitUntil(
    async () => {
      const r = await seeder.api(`torrents/info?hashes=${infoHash}`);
      const [t] = (await r.json()) as Array<{ progress: number; state: string }>;
      return t !== undefined && t.progress === 1 && !t.state.startsWith('checking');
    },
    { what: 'the seeder to verify its files', timeoutMs: 30_000, intervalMs: 100 },
  );
}
