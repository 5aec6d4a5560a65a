import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../emulator/emulator.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import { sha } from '../helpers/files.js';
import {
  emptyIndexerEnv,
  startIndexerServer,
  type IndexerServer,
} from '../helpers/indexer-server.js';
import { startStack, type Stack } from '../helpers/stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../../emulator/scenarios/manual-pick.yaml');
const FIXTURES = path.join(here, '../../fixtures/audio');

/**
 * Picking a candidate an earlier indexer of the round rejected (`earlier[].rejected`): slskd's
 * only acceptable "Tone B" is at a peer that refuses it, its live recording is rejected, and the
 * next indexer (a Torznab server on loopback) has nothing. The user picks the live file from
 * slskd's earlier search, and it is fetched from slskd and filed.
 */
describe('a pick from an earlier indexer of the round', () => {
  let stack: Stack;
  let indexer: IndexerServer;

  beforeAll(async () => {
    const scenario = await loadScenario(SCENARIO);
    indexer = await startIndexerServer({ dialect: 'torznab', apiKey: 'k', releases: [] });
    stack = await startStack({
      users: scenario.users,
      env: {
        SOULSPOT_MAX_RETRIES: '0',
        ...emptyIndexerEnv(indexer.apiUrl),
      },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await indexer?.close();
  });

  it('fetches the picked file from its own provider and files it', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: 'The Sine Project',
      title: 'Tone B',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const failed = await stack
      .waitFor((items) => items.some((d) => d.id === id && d.status === 'failed'), 60_000)
      .then((items) => items.find((d) => d.id === id)!);
    expect(failed.status).toBe('failed');

    const before = (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`)).body;
    // The round went on to the indexer, which had nothing; slskd's story is kept in `earlier`.
    expect(before.provider).toBe('torznab:empty');
    expect(before.earlier.map((e) => e.provider)).toEqual(['slskd']);
    const live = before.earlier[0]!.rejected.find(
      (r) => r.username === 'livepeer' && r.filename.includes('Tone B'),
    );
    expect(live?.reason).toBe('live, not requested');
    expect(before.ranked.some((r) => r.candidateId === live!.candidateId)).toBe(false);
    expect(before.rejected.some((r) => r.candidateId === live!.candidateId)).toBe(false);

    // A candidate whose download client is no longer configured is refused, not left waiting:
    // one of slskd's rejections is made to name a client that is gone.
    const row = await stack.soulspot.db.db
      .selectFrom('downloads')
      .select('candidates')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const stored = JSON.parse(row.candidates!) as {
      earlier: { rejected: { candidate: { provider?: string; filename: string } }[] }[];
    };
    const other = stored.earlier[0]!.rejected.find((r) => r.candidate.filename.includes('Tone A'));
    other!.candidate.provider = 'gone';
    await stack.soulspot.db.db
      .updateTable('downloads')
      .set({ candidates: JSON.stringify(stored) })
      .where('id', '=', id)
      .execute();
    const tampered = (
      await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`)
    ).body.earlier[0]!.rejected.find((r) => r.filename.includes('Tone A'));
    const refused = await stack.api<{ message: string }>('POST', `/api/downloads/${id}/source`, {
      candidateId: tampered!.candidateId,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain('"gone", which is not a configured download client');

    const picked = await stack.api<DownloadDto & { message?: string }>(
      'POST',
      `/api/downloads/${id}/source`,
      { candidateId: live!.candidateId },
    );
    expect(picked.status, picked.body.message).toBe(200);
    expect(picked.body.status).toBe('waiting');
    const after = (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`)).body;
    expect(after.pick).toMatchObject({
      candidateId: live!.candidateId,
      provider: 'slskd',
      username: 'livepeer',
      from: 'rejected',
      rejectedFor: 'live, not requested',
    });
    expect(
      after.earlier[0]!.rejected.find((r) => r.candidateId === live!.candidateId)?.picked,
    ).toBe(true);

    const done = await stack
      .waitFor(
        (items) =>
          items.some((d) => d.id === id && (d.status === 'completed' || d.status === 'failed')),
        60_000,
      )
      .then((items) => items.find((d) => d.id === id)!);
    expect(done.status, `${done.errorCode}: ${done.errorMessage}`).toBe('completed');
    expect(done.source).toMatchObject({ username: 'livepeer', filename: live!.filename });
    expect(sha(done.libraryPath!)).toBe(sha(path.join(FIXTURES, 'tone-b.flac')));
  });
});
