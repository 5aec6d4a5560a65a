import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { parseFile } from 'music-metadata';
import { afterAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/emulator.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { makeAudio, makeImage } from '../helpers/audio-formats.js';
import { filesUnder, sha } from '../helpers/files.js';
import { childSetup, killHard, spawnSoulSpot, waitForHealth } from '../helpers/process.js';
import { listAll, startEmulatorIn } from '../helpers/stack.js';
import { waitUntil } from '../helpers/wait.js';

describe('post-processing after kill -9', () => {
  let emulator: Emulator | undefined;
  const root = mkdtempSync(path.join(tmpdir(), 'soulspot-post-crash-'));
  afterAll(async () => {
    await emulator?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it(
    'killed while the cover is fetched: resumed in one pass (tags and cover), without a new transfer',
    { timeout: 300_000 },
    async () => {
      const source = path.join(root, 'share', 'army.flac');
      const image = path.join(root, 'share', 'front.png');
      await makeAudio(source, 'flac', 3);
      await makeImage(image, 'blue');
      const png = readFileSync(image);

      // The cover server holds the first request open (the process is killed while it waits), and
      // answers once SoulSpot is back.
      const held: ServerResponse[] = [];
      const hits: string[] = [];
      let answer = false;
      const covers = createServer((req, res) => {
        hits.push(req.url ?? '');
        if (answer) res.writeHead(200, { 'content-type': 'image/png' }).end(png);
        else held.push(res);
      });
      await new Promise<void>((resolve) => covers.listen(0, '127.0.0.1', resolve));
      const coverUrl = `http://127.0.0.1:${(covers.address() as AddressInfo).port}/front.png`;

      emulator = await startEmulatorIn(root, [
        {
          username: 'bj',
          files: [{ remotePath: '@@bj\\Music\\Björk\\Post\\03 - Army.flac', localPath: source }],
        },
      ]);
      const { url, env, api } = await childSetup(root, emulator.url, {
        SOULSPOT_TAG_FILES: 'true',
        SOULSPOT_EMBED_COVER: 'true',
        SOULSPOT_WRITE_FOLDER_COVER: 'true',
      });
      let child = spawnSoulSpot(env);
      try {
        await waitForHealth(url, undefined, child);
        expect(
          (await api('PATCH', '/api/settings', { fetchAllowedRanges: ['127.0.0.1/32'] })).status,
        ).toBe(200);
        const created = await api<DownloadDto>('POST', '/api/downloads', {
          artist: 'Björk',
          title: 'Army',
          album: 'Post',
          trackNumber: 3,
          year: 1995,
          coverUrl,
        });
        expect(created.status).toBe(201);

        // The cover is fetched first (tags and cover then go in in one pass): killed while it is
        // fetched, nothing is recorded and no working copy exists yet.
        await waitUntil(() => hits.length === 1, { what: 'the cover request', timeoutMs: 120_000 });
        const db = new Database(path.join(root, 'data', 'soulspot.db'), { readonly: true });
        const step = db.prepare('SELECT post_step, post_digest FROM attempts').all();
        db.close();
        expect(step).toEqual([{ post_step: null, post_digest: null }]);
        const library = path.join(root, 'library');
        expect(filesUnder(library).filter((f) => path.basename(f).startsWith('.'))).toEqual([]);

        await killHard(child);
        for (const res of held) res.destroy();
        answer = true;
        child = spawnSoulSpot(env);
        await waitForHealth(url, undefined, child);

        const done = await waitUntil(
          async () =>
            (await listAll(api)).find((d) => d.id === created.body.id && d.status === 'completed'),
          { what: 'the download to complete after the restart', timeoutMs: 120_000 },
        );
        expect(emulator.enqueues).toHaveLength(1);
        expect(done.attempts).toHaveLength(1);
        const meta = await parseFile(done.libraryPath!);
        expect(meta.common).toMatchObject({
          title: 'Army',
          album: 'Post',
          year: 1995,
          track: { no: 3, of: null },
        });
        expect(Buffer.from(meta.common.picture![0]!.data).equals(png)).toBe(true);
        // Exactly the track and its folder cover: no working copy, no temp file, no " (2)".
        expect(
          filesUnder(library)
            .map((f) => path.relative(library, f))
            .sort(),
        ).toEqual([
          path.join('Björk', 'Post', '03 - Army.flac'),
          path.join('Björk', 'Post', 'cover.png'),
        ]);
        expect(sha(path.join(library, 'Björk', 'Post', 'cover.png'))).toBe(sha(image));
        expect(hits).toEqual(['/front.png', '/front.png']);
      } finally {
        await killHard(child);
        covers.closeAllConnections();
        await new Promise((resolve) => covers.close(resolve));
      }
    },
  );
});
