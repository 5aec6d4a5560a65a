// Browsing a peer's shares (GET /users/{u}/browse, POST /users/{u}/directory) and the per-file
// switches albums are tested with: a file left out of search answers, and a file that errors.
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  A1,
  A2,
  ALBUM,
  alice,
  startHarness,
  TONE_A,
  TONE_C,
  waitFor,
  type Harness,
} from './test-support.js';

interface BrowseDir {
  name: string;
  fileCount: number;
  files: {
    filename: string;
    size: number;
    attributeCount: number;
    attributes: { type: string; value: number }[];
    isLocked?: boolean;
  }[];
}

const OTHER = '@@alice\\Music\\Elsewhere';

let h: Harness;
afterEach(async () => h?.close());

async function start(): Promise<void> {
  h = await startHarness({
    users: [
      alice({
        files: [
          { remotePath: A1, localPath: TONE_A },
          { remotePath: A2, localPath: TONE_A, hiddenFromSearch: true, failAfterBytes: 4000 },
          { remotePath: `${OTHER}\\x.mp3`, localPath: TONE_C },
        ],
      }),
    ],
  });
}

async function search(text: string): Promise<string[]> {
  const posted = await h.api('POST', '/searches', { searchText: text });
  const id = (posted.json as { id: string }).id;
  // Responses show only once the search has ended (slskd saves them after its Completed state).
  const responses = await waitFor(async () => {
    const s = (await h.api('GET', `/searches/${id}?includeResponses=true`)).json as {
      endedAt?: string;
      responses: { files: { filename: string }[] }[];
    };
    return s.endedAt !== undefined && s.responses.length > 0 ? s.responses : undefined;
  });
  return responses.flatMap((r) => r.files.map((f) => f.filename));
}

describe('browse and directory', () => {
  it('lists every shared folder with base names and attributes, hidden files included', async () => {
    await start();
    const res = await h.api('GET', '/users/alice/browse');
    expect(res.status).toBe(200);
    const body = res.json as { directories: BrowseDir[]; directoryCount: number };
    expect(body.directoryCount).toBe(2);
    const album = body.directories.find((d) => d.name === ALBUM);
    expect(album?.fileCount).toBe(2);
    expect(album?.files.map((f) => f.filename).sort()).toEqual([
      '01 - Tone A.flac',
      '02 - Tone B.flac',
    ]);
    const first = album?.files[0];
    expect(first?.isLocked).toBeUndefined();
    expect(first?.attributeCount).toBe(first?.attributes.length);
    expect(first?.attributes.map((a) => a.type)).toContain('Length');
  });

  it('answers POST /directory with an array holding only that folder', async () => {
    await start();
    const res = await h.api('POST', '/users/alice/directory', { directory: ALBUM });
    expect(res.status).toBe(200);
    const dirs = res.json as BrowseDir[];
    expect(Array.isArray(dirs)).toBe(true);
    expect(dirs.map((d) => [d.name, d.fileCount])).toEqual([[ALBUM, 2]]);
    // Joined with a backslash, a base name is the path to enqueue.
    expect(dirs[0]?.files.map((f) => `${ALBUM}\\${f.filename}`).sort()).toEqual([A1, A2]);
    expect((await h.api('POST', '/users/alice/directory', { directory: '' })).status).toBe(400);
    expect((await h.api('POST', '/users/nobody/directory', { directory: ALBUM })).status).toBe(404);
    h.emulator.setBehaviour('alice', { offline: true });
    const offline = await h.api('POST', '/users/alice/directory', { directory: ALBUM });
    expect(offline.status).toBe(404);
    expect(offline.json).toBe('User alice appears to be offline');
  });

  it('leaves a hidden file out of search answers', async () => {
    await start();
    expect(await search('sine waves')).toEqual([A1]);
  });

  it('fails only the file that is set to fail', async () => {
    await start();
    const post = await h.api('POST', '/transfers/downloads/alice', [
      { filename: A1, size: statSync(TONE_A).size },
      { filename: A2, size: statSync(TONE_A).size },
    ]);
    expect(post.status).toBe(201);
    const states = await waitFor(async () => {
      const group = (await h.api('GET', '/transfers/downloads/alice')).json as {
        directories: { files: { filename: string; state: string; exception?: string }[] }[];
      };
      const files = group.directories.flatMap((d) => d.files);
      return files.length === 2 && files.every((f) => f.state.startsWith('Completed'))
        ? files
        : undefined;
    }, 10_000);
    const by = new Map(states.map((f) => [f.filename, f]));
    expect(by.get(A1)?.state).toBe('Completed, Succeeded');
    expect(by.get(A2)?.state).toBe('Completed, Errored');
    expect(by.get(A2)?.exception).toBe('Download reported as failed by remote client');
  });
});
