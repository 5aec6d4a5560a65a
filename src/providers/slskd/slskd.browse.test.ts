import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulator, type Emulator } from '../../../emulator/emulator.js';
import { rejection } from '../../../test/helpers/provider-error.js';
import { mapDirectoryFiles } from './slskd.mapping.js';
import { createSlskdProvider, type SlskdProvider } from './slskd.provider.js';
import { slskdSettings } from './slskd.settings.js';

const AUDIO = path.resolve(fileURLToPath(new URL('../../../fixtures/audio/', import.meta.url)));
const KEY = 'emulator-key-0123456789';
const ALBUM = '@@alic3\\Music\\Artist\\Album (2001)';

describe('listing a folder (POST /users/{u}/directory) through the slskd adapter', () => {
  let emulator: Emulator;
  let provider: SlskdProvider;
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'soulspot-browse-'));
    await mkdir(path.join(root, 'd'));
    await mkdir(path.join(root, 'i'));
    emulator = await createEmulator({
      apiKey: KEY,
      downloadsDir: path.join(root, 'd'),
      incompleteDir: path.join(root, 'i'),
      users: [
        {
          username: 'alice',
          files: [
            {
              remotePath: `${ALBUM}\\01 - Tone A.flac`,
              localPath: path.join(AUDIO, 'tone-a.flac'),
            },
            {
              remotePath: `${ALBUM}\\02 - Tone C.mp3`,
              localPath: path.join(AUDIO, 'tone-c.mp3'),
              hiddenFromSearch: true,
            },
            { remotePath: '@@alic3\\Other\\x.flac', localPath: path.join(AUDIO, 'tone-b.flac') },
          ],
        },
        { username: 'bob', files: [], behaviour: { offline: true } },
      ],
    });
    provider = createSlskdProvider(slskdSettings({ url: emulator.url, apiKey: KEY }));
  });
  afterAll(async () => {
    await emulator?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('returns every file of the folder with full paths and audio facts', async () => {
    const files = await provider.listFolder!('alice', ALBUM);
    expect(files.map((f) => f.filename).sort()).toEqual([
      `${ALBUM}\\01 - Tone A.flac`,
      `${ALBUM}\\02 - Tone C.mp3`,
    ]);
    const mp3 = files.find((f) => f.extension === 'mp3');
    expect(mp3).toMatchObject({ provider: 'slskd', username: 'alice', hasFreeUploadSlot: false });
    expect(mp3?.bitRate).toBeGreaterThan(0);
    expect(mp3?.lengthSeconds).toBeGreaterThan(0);
    const flac = files.find((f) => f.extension === 'flac');
    expect(flac?.sampleRate).toBeGreaterThan(0);
    expect(flac?.size).toBeGreaterThan(0);
  });

  it('fails with a provider error for an offline peer', async () => {
    const error = await rejection(provider.listFolder!('bob', ALBUM));
    expect(error.code).toBe('source_offline');
  });

  it('reads facts from the attribute list when the fields are absent, and skips empty files', () => {
    const files = mapDirectoryFiles('u', [
      {
        name: '@@u\\A\\',
        files: [
          {
            filename: '01 - x.mp3',
            size: 10,
            attributes: [
              { type: 'BitRate', value: 320 },
              { type: 'Length', value: 200 },
              { type: 'VariableBitRate', value: 0 },
            ],
          },
          { filename: '02 - empty.mp3', size: 0 },
        ],
      },
    ]);
    expect(files).toEqual([
      {
        provider: 'slskd',
        username: 'u',
        filename: '@@u\\A\\01 - x.mp3',
        size: 10,
        extension: 'mp3',
        hasFreeUploadSlot: false,
        queueLength: 0,
        uploadSpeed: 0,
        bitRate: 320,
        lengthSeconds: 200,
        isVariableBitRate: false,
      },
    ]);
  });
});
