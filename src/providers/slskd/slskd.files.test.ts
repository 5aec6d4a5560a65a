// Where a finished file is, against the emulator over real HTTP: a hostile slskd that reports paths
// outside the downloads folder, an events log full of other and older records, a move a while after
// "Completed, Succeeded", and a cross-device move that copies slowly.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  type PeerBehaviour,
} from '../../../emulator/emulator.js';
import { rejection } from '../../../test/helpers/provider-error.js';
import type { TransferStatus } from '../provider.js';
import { directoryRulePath, EVENT_GRACE_MS, slskdSegment } from './slskd.files.js';
import { isFinalTransfer } from './slskd.mapping.js';
import { createSlskdProvider, type SlskdProvider } from './slskd.provider.js';
import { slskdSettings } from './slskd.settings.js';

const AUDIO = path.resolve(fileURLToPath(new URL('../../../fixtures/audio/', import.meta.url)));
const TONE = path.join(AUDIO, 'tone-a.flac');
const KEY = 'emulator-key-0123456789';
const REMOTE = '@@m4l\\Music\\Artist\\Album (2001)\\01 - Tone A.flac';

describe('directoryRulePath', () => {
  it.each([
    ['@@x\\Music\\Album\\01.flac', 'Album/01.flac'],
    ['@@x\\Music\\..\\01.flac', '_/01.flac'],
    ['@@x\\Music\\...\\..', '_/_'],
    ['@@x\\Mu\u0000sic\\A\u0001lbum\\0\u00001.flac', 'A_lbum/0_1.flac'],
    ['01.flac', '01.flac'],
  ])('%j → %s', (remote, expected) => {
    expect(directoryRulePath('/dl', remote)).toBe(path.join('/dl', expected));
  });
  it('never yields a separator or a dot-only name', () => {
    for (const s of ['..', '.', '', 'a/b', 'a\\b', '\u0000']) {
      const out = slskdSegment(s);
      expect(out).not.toMatch(/[/\\\0]/);
      expect(out).not.toMatch(/^\.+$/);
      expect(out).not.toBe('');
    }
  });
});

describe('localPath against the emulator', () => {
  let work: string;
  let emulator: Emulator | undefined;
  let provider: SlskdProvider;
  let downloads: string;
  let victim: string;

  afterEach(async () => {
    await emulator?.close();
    await rm(work, { recursive: true, force: true });
  });

  async function start(behaviour: PeerBehaviour = {}, extra: Partial<EmulatorOptions> = {}) {
    work = await realpath(await mkdtemp(path.join(tmpdir(), 'soulspot-files-')));
    downloads = path.join(work, 'downloads');
    await mkdir(downloads);
    await mkdir(path.join(work, 'outside'));
    victim = path.join(work, 'outside', 'precious.flac');
    await writeFile(victim, await readFile(TONE));
    emulator = await createEmulator({
      apiKey: KEY,
      downloadsDir: downloads,
      incompleteDir: path.join(work, 'incomplete'),
      users: [{ username: 'mallory', files: [{ remotePath: REMOTE, localPath: TONE }], behaviour }],
      tickMs: 20,
      ...extra,
    });
    provider = createSlskdProvider(
      slskdSettings({ url: emulator.url, apiKey: KEY, downloadsDir: downloads }),
    );
  }

  async function download(): Promise<TransferStatus> {
    const size = (await stat(TONE)).size;
    const t = await provider.enqueue({
      batchId: randomUUID(),
      username: 'mallory',
      filename: REMOTE,
      size,
    });
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      const found = (await provider.listTransfers()).find((x) => x.id === t.id);
      if (found && isFinalTransfer(found)) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('transfer did not finish');
  }

  /** Polls as the importer does (patient: only slskd's event counts) until an answer or a refusal. */
  async function locate(done: TransferStatus): Promise<string> {
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      const found = await provider.localPath(done, { waitedMs: 0 });
      if (found !== null) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('no local path');
  }

  const landed = () => path.join(downloads, 'Album (2001)', '01 - Tone A.flac');

  it.each([
    ['an absolute path elsewhere', (): string => victim],
    [
      'a ../ path out of the folder',
      (): string => path.join(downloads, '..', 'outside', 'precious.flac'),
    ],
    ['a relative path', (): string => '../outside/precious.flac'],
  ])('refuses %s as file_not_found, and the file there survives', async (_name, reported) => {
    await start();
    emulator?.setBehaviour('mallory', { localFilename: reported() });
    const done = await download();
    const error = await rejection(locate(done));
    expect(error.code).toBe('file_not_found');
    expect(error.message).toMatch(/outside the downloads folder/);
    expect(await readFile(victim)).toEqual(await readFile(TONE));
  });

  it('refuses a path inside the folder that resolves outside through a symlink', async () => {
    await start();
    await symlink(path.join(work, 'outside'), path.join(downloads, 'Escape'));
    emulator?.setBehaviour('mallory', {
      localFilename: path.join(downloads, 'Escape', 'precious.flac'),
    });
    const error = await rejection(locate(await download()));
    expect(error.code).toBe('file_not_found');
    expect(error.message).toContain(victim);
  });

  it('refuses the directory rule when the remote folder is a symlink out of the folder', async () => {
    await start({ localFilename: '/nonexistent/01.flac' });
    const done = await download();
    // The file slskd moved is replaced by a link to the victim folder.
    await rm(path.dirname(landed()), { recursive: true });
    await symlink(path.join(work, 'outside'), path.dirname(landed()));
    await writeFile(path.join(work, 'outside', '01 - Tone A.flac'), await readFile(TONE));
    const error = await rejection(provider.localPath(done));
    expect(error.code).toBe('file_not_found');
  });

  it('takes the newest DownloadFileComplete of this transfer among uploads and older records', async () => {
    await start({}, { landing: { extraEvents: true } });
    const done = await download();
    await expect(locate(done)).resolves.toBe(landed());
  });

  it('waits for the move a while after "Completed, Succeeded" and then finds the event', async () => {
    await start({}, { landing: { moveDelayMs: 1500 } });
    const done = await download();
    expect(done.state).toBe('succeeded');
    await expect(provider.localPath(done, { waitedMs: 0 })).resolves.toBeNull();
    let found: string | null = null;
    for (const deadline = Date.now() + 15_000; found === null && Date.now() < deadline;) {
      found = await provider.localPath(done, { waitedMs: 0 });
      if (found === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toBe(landed());
  });

  it('never answers a half-copied file of a cross-device move, even by the directory rule', async () => {
    await start({}, { landing: { crossDeviceMove: { bytesPerSecond: 10_000 } } });
    const done = await download();
    const size = (await stat(TONE)).size;
    let sawPartial = false;
    let found: string | null = null;
    for (const deadline = Date.now() + 20_000; found === null && Date.now() < deadline;) {
      const now = await stat(landed()).then(
        (s) => s.size,
        () => 0,
      );
      // Patience used up: the directory rule counts too, and must still refuse a growing file.
      found = await provider.localPath(done, { waitedMs: EVENT_GRACE_MS });
      if (found === null && now > 0 && now < size) sawPartial = true;
      if (found !== null) expect((await stat(found)).size).toBe(size);
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(sawPartial).toBe(true);
    expect(found).toBe(landed());
    expect(await readFile(found ?? '')).toEqual(await readFile(TONE));
  });
});
