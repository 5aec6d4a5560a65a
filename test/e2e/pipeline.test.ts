import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { buildCatalogue, requestFor, type CatalogueTrack } from '../helpers/catalogue.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { sha } from '../helpers/files.js';

describe.each(testDialects())(
  '30 tracks among decoys end completed with the right file (%s)',
  (dialect) => {
    let stack: Stack;
    let tracks: CatalogueTrack[];
    let pgDb: { url: string; drop(): Promise<void> } | undefined;

    beforeAll(async () => {
      const catalogue = await buildCatalogue(
        mkdtempSync(path.join(tmpdir(), 'soulspot-share-')),
        30,
      );
      tracks = catalogue.tracks;
      if (dialect === 'postgres')
        pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
      stack = await startStack({
        users: catalogue.users,
        ...(pgDb ? { databaseUrl: pgDb.url } : {}),
      });
    });
    afterAll(async () => {
      await stack?.close();
      await pgDb?.drop();
    });

    it('downloads, verifies and files every track', async () => {
      for (const t of tracks) {
        const res = await stack.api<DownloadDto>('POST', '/api/downloads', requestFor(t));
        expect(res.status).toBe(201);
      }
      const done = await stack.waitFor(
        (items) =>
          items.length === tracks.length &&
          items.every((d) => d.status === 'completed' || d.status === 'failed'),
        90_000,
      );
      for (const t of tracks) {
        const d = done.find((x) => x.title === t.title && x.artist === t.artist);
        expect(d, `${t.artist} - ${t.title}`).toBeDefined();
        expect(d!.status, `${t.artist} - ${t.title}: ${d!.errorMessage}`).toBe('completed');
        expect(d!.source?.username).toBe(t.expected.username);
        expect(d!.source?.filename).toBe(t.expected.filename);
        const n = String(t.trackNumber).padStart(2, '0');
        expect(d!.libraryPath).toBe(
          path.join(stack.config.libraryDir, t.artist, t.album, `${n} - ${t.title}.flac`),
        );
        expect(sha(d!.libraryPath!)).toBe(sha(t.expected.localPath));
        expect(d!.progress).toBe(100);
      }
      // Finished transfers are removed from slskd's list, which would otherwise grow for ever.
      let listed: unknown[] = [];
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${stack.emulator.url}/api/v0/transfers/downloads`, {
          headers: { 'x-api-key': stack.config.slskdApiKey! },
        });
        listed = (await res.json()) as unknown[];
        if (listed.length === 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(listed).toEqual([]);
      // Each file was asked for once: no source was enqueued twice.
      const pairs = stack.emulator.enqueues.map((e) => `${e.username}|${e.filename}`);
      expect(new Set(pairs).size).toBe(pairs.length);
    });
  },
);
