import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario } from '../../emulator/emulator.js';
import type { CandidatesDto } from '../../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../../src/downloads/download.dto.js';
import type { SearchResultDto } from '../../src/search/search.dto.js';
import { freshPgDatabase, testDialects } from '../helpers/db.js';
import { sha } from '../helpers/files.js';
import { waitUntil } from '../helpers/wait.js';
import { API_KEY, startStack, waitForDownloads, type Stack } from '../helpers/stack.js';
import { startSoulSpot, type SoulSpot } from '../../src/main.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCENARIO = path.join(here, '../../emulator/scenarios/manual-pick.yaml');
const FIXTURES = path.join(here, '../../fixtures/audio');
const ARTIST = 'The Sine Project';
const UNKNOWN = '0f0f0f0f-0000-4000-8000-00000000abcd';

describe.each(testDialects())('manual pick and manual search (%s)', (dialect) => {
  let stack: Stack;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;
  /** The SoulSpot started again on the same data (the restart test). */
  let second: SoulSpot | undefined;

  beforeAll(async () => {
    const scenario = await loadScenario(SCENARIO);
    if (dialect === 'postgres')
      pgDb = await freshPgDatabase(process.env.SOULSPOT_TEST_PG_URL as string);
    stack = await startStack({
      users: scenario.users,
      env: { SOULSPOT_MAX_RETRIES: '1' },
      ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    });
  });
  afterAll(async () => {
    await second?.stop();
    await stack?.close();
    await pgDb?.drop();
  });

  const one = (id: string, ok: (d: DownloadDto) => boolean) =>
    stack
      .waitFor((items) => items.some((d) => d.id === id && ok(d)))
      .then((items) => items.find((d) => d.id === id) as DownloadDto);
  const finished = (id: string) =>
    one(id, (d) => d.status === 'completed' || d.status === 'failed');
  const candidates = async (id: string) =>
    (await stack.api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`)).body;
  const pick = (id: string, candidateId: unknown) =>
    stack.api<DownloadDto & { message?: string }>('POST', `/api/downloads/${id}/source`, {
      candidateId,
    });

  it('switches a download queued at a stuck peer to the picked MP3: cancelled there, enqueued here', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone A',
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const queued = await one(
      id,
      (d) => d.status === 'queued' && d.source?.username === 'stuckpeer',
    );
    expect(queued.source?.extension).toBe('flac');

    const before = await candidates(id);
    expect(before.ranked.map((r) => r.username)).toEqual(['stuckpeer', 'mp3peer']);
    const live = before.rejected.find((r) => r.username === 'livepeer');
    expect(live?.reason).toBe('live, not requested');
    const mp3 = before.ranked[1]!;
    expect(mp3.candidateId).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(before.pick).toBeNull();

    const picked = await pick(id, mp3.candidateId);
    expect(picked.status, picked.body.message).toBe(200);
    expect(picked.body.status).toBe('waiting');

    const done = await finished(id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source).toMatchObject({ username: 'mp3peer', filename: mp3.filename });
    expect(sha(done.libraryPath!)).toBe(sha(path.join(FIXTURES, 'tone-c.mp3')));
    // The stuck transfer was cancelled at slskd, and the next enqueue went to the picked file.
    const stuck = stack.emulator.enqueues.filter((e) => e.username === 'stuckpeer');
    expect(stuck).toHaveLength(1);
    expect(stack.emulator.cancels.map((c) => c.transferId)).toContain(stuck[0]!.transferId);
    const cancelAt = stack.emulator.cancels.find((c) => c.transferId === stuck[0]!.transferId)!.at;
    const toMp3 = stack.emulator.enqueues.filter((e) => e.filename.includes('Tone A.mp3'));
    expect(toMp3.map((e) => e.username)).toEqual(['mp3peer']);
    expect(toMp3[0]!.at).toBeGreaterThanOrEqual(cancelAt);

    // The pick shows in the candidates, started, on the ranked entry it names.
    const after = await candidates(id);
    expect(after.pick).toMatchObject({
      candidateId: mp3.candidateId,
      username: 'mp3peer',
      from: 'ranked',
      rejectedFor: null,
      state: 'started',
    });
    expect(after.ranked.find((r) => r.picked)?.candidateId).toBe(mp3.candidateId);
  });

  it('picks a rejected live take for a failed download: the user overrides the ranking', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone B',
    });
    const id = created.body.id;
    // The only studio FLAC's peer refuses every request: the download fails.
    const failed = await finished(id);
    expect(failed.status).toBe('failed');
    const listed = await candidates(id);
    const live = listed.rejected.find((r) => r.filename.endsWith('Tone B (Live).flac'));
    expect(live?.reason).toBe('live, not requested');

    const picked = await pick(id, live!.candidateId);
    expect(picked.status, picked.body.message).toBe(200);
    expect(picked.body).toMatchObject({ status: 'waiting', retryCount: 0, errorCode: null });
    // Stored before anything runs it: the pick is on the row, pending.
    const pending = await candidates(id);
    expect(pending.pick).toMatchObject({ from: 'rejected', rejectedFor: 'live, not requested' });

    const done = await finished(id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source?.username).toBe('livepeer');
    expect(sha(done.libraryPath!)).toBe(sha(path.join(FIXTURES, 'tone-b.flac')));
    expect((await candidates(id)).pick).toMatchObject({ state: 'started', from: 'rejected' });

    // Completed now: no source can be picked any more.
    const again = await pick(id, live!.candidateId);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/is completed/);
  });

  it('answers 404, 409 and 400 for what cannot be picked', async () => {
    const missing = await pick(UNKNOWN, 'AAAAAAAAAAAAAAAA');
    expect(missing.status).toBe(404);
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone Nowhere',
    });
    const id = created.body.id;
    const unknown = await pick(id, 'AAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(409);
    expect(unknown.body.message).toMatch(/not among download .* candidates/);
    const bad = await pick(id, 'not an id');
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/candidateId/);
    const extra = await stack.api<{ message: string }>('POST', `/api/downloads/${id}/source`, {
      candidateId: 'AAAAAAAAAAAAAAAA',
      user: 'x',
    });
    expect(extra.status).toBe(400);
    await stack.api('DELETE', `/api/downloads/${id}`);
  });

  it('searches by hand, explains the results, and starts a download from one', async () => {
    const res = await stack.api<SearchResultDto>('POST', '/api/search', {
      artist: ARTIST,
      title: 'Tone C',
      album: 'Sine Waves',
    });
    expect(res.status).toBe(200);
    expect(res.body.query).toBe('The Sine Project Tone');
    expect(res.body.profile.name).toBe('Any');
    // The refusing peer's FLAC ranks above the MP3 (it cannot know it will refuse).
    expect(res.body.ranked.map((r) => [r.rank, r.username, r.extension])).toEqual([
      [1, 'refuser', 'flac'],
      [2, 'mp3peer', 'mp3'],
    ]);
    expect(res.body.ranked[0]!.notes).toContain('album matches');
    expect(res.body.ranked[0]!.score).toBeGreaterThan(res.body.ranked[1]!.score);
    // Other tracks of the same search are rejected with their reasons.
    const reasons = new Set(res.body.rejected.map((r) => r.reason));
    expect(reasons).toContain('title not in file name');
    expect(res.body.rankedTotal + res.body.rejectedTotal).toBe(res.body.found);

    const mp3 = res.body.ranked[1]!;
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone C',
      source: mp3.source,
    });
    expect(created.status).toBe(201);
    const done = await finished(created.body.id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    expect(done.source?.username).toBe('mp3peer');
    expect(sha(done.libraryPath!)).toBe(sha(path.join(FIXTURES, 'tone-d.mp3')));
    // Straight to the chosen file: the better-ranked FLAC was never asked for.
    const toneC = stack.emulator.enqueues.filter((e) => e.filename.includes('Tone C'));
    expect(toneC.map((e) => e.username)).toEqual(['mp3peer']);
    expect((await candidates(created.body.id)).pick).toMatchObject({
      candidateId: mp3.candidateId,
      from: 'search',
      state: 'started',
    });
  });

  it('takes free text: every word must be in the path, version words asked for count', async () => {
    const all = await stack.api<SearchResultDto>('POST', '/api/search', { query: 'sine tone' });
    expect(all.status).toBe(200);
    expect(all.body.target).toMatchObject({ artist: null, title: null, keywords: 'sine tone' });
    expect(all.body.ranked.length).toBeGreaterThanOrEqual(4);
    expect(all.body.ranked.some((r) => r.username === 'livepeer')).toBe(false);
    const live = all.body.rejected.filter((r) => r.username === 'livepeer');
    expect(live.map((r) => r.reason)).toEqual(['live, not requested', 'live, not requested']);

    const asked = await stack.api<SearchResultDto>('POST', '/api/search', {
      query: 'sine tone live',
      limit: 1,
    });
    expect(asked.body.rankedTotal).toBe(2);
    expect(asked.body.ranked.map((r) => r.username)).toEqual(['livepeer']);
  });

  it.each([
    [{}, /query, or artist and title, is required/],
    [{ query: 'tone', artist: ARTIST }, /not both/],
    [{ artist: ARTIST }, /body\/title/],
    [{ title: 'Tone A' }, /body\/artist/],
    [{ query: '! ? -' }, /body\/query/],
    [{ artist: ARTIST, title: 'Tone A', qualityProfileId: UNKNOWN }, /body\/qualityProfileId/],
    [{ artist: ARTIST, title: 'Tone A', limit: 0 }, /limit/],
    [{ artist: ARTIST, title: 'Tone A', titel: 'x' }, /titel|additional/],
  ])('refuses %j with 400', async (body, message) => {
    const res = await stack.api<{ message: string }>('POST', '/api/search', body);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it('refuses a malformed source in POST /api/downloads with 400 naming the field', async () => {
    const res = await stack.api<{ message: string }>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone C',
      source: { username: 'mp3peer', filename: 'x.mp3', size: 0 },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/source\/size/);
  });

  class UnexpectedAnswer extends Error {}

  it('answers 503 when slskd cannot search, and searches again once it can', async () => {
    stack.emulator.setLoggedIn(false);
    try {
      const down = await stack.api<{ message: string }>('POST', '/api/search', {
        query: 'sine tone',
      });
      expect(down.status).toBe(503);
      expect(down.body.message).toMatch(/^slskd could not search/);
    } finally {
      stack.emulator.setLoggedIn(true);
    }
    // A health probe that ran while slskd was logged out holds the circuit open until the next
    // probe finds it back on its network: searches answer 503 "circuit open" until then.
    const res = await waitUntil(
      async () => {
        const r = await stack.api<SearchResultDto & { message?: string }>('POST', '/api/search', {
          query: 'sine tone',
        });
        if (r.status === 200) return r;
        if (
          r.status !== 503 ||
          !/^slskd could not search: slskd is not logged in to Soulseek.*circuit open/.test(
            r.body.message ?? '',
          )
        )
          throw new UnexpectedAnswer(`${r.status} ${JSON.stringify(r.body)}`);
        return null;
      },
      {
        what: 'a search once slskd is logged in again',
        timeoutMs: 20_000,
        intervalMs: 200,
        stopOn: UnexpectedAnswer,
      },
    );
    expect(res.body.rankedTotal).toBeGreaterThan(0);
  });

  it('a pick of the file being fetched, twice at once and again, changes nothing at slskd', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone A',
    });
    const id = created.body.id;
    await one(id, (d) => d.status === 'queued' && d.source?.username === 'stuckpeer');
    const stuck = (await candidates(id)).ranked.find((r) => r.username === 'stuckpeer')!;
    const enqueued = stack.emulator.enqueues.filter((e) => e.username === 'stuckpeer').length;
    const cancels = stack.emulator.cancels.length;
    const twice = await Promise.all([pick(id, stuck.candidateId), pick(id, stuck.candidateId)]);
    expect(twice.map((r) => r.status)).toEqual([200, 200]);
    const third = await pick(id, stuck.candidateId);
    expect(third.status, third.body.message).toBe(200);
    expect(third.body.status).toBe('queued');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The one transfer at the stuck peer goes on: not cancelled, not enqueued again.
    expect(stack.emulator.enqueues.filter((e) => e.username === 'stuckpeer')).toHaveLength(
      enqueued,
    );
    expect(stack.emulator.cancels).toHaveLength(cancels);
    expect((await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body).toMatchObject({
      status: 'queued',
      source: { username: 'stuckpeer' },
    });
    expect((await candidates(id)).pick).toMatchObject({
      candidateId: stuck.candidateId,
      state: 'started',
    });
    await stack.api('DELETE', `/api/downloads/${id}`);
    await one(id, (d) => d.status === 'cancelled');
  });

  it('two picks at once: the old transfer is cancelled before the one new source is enqueued', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone A',
    });
    const id = created.body.id;
    await one(id, (d) => d.status === 'queued' && d.source?.username === 'stuckpeer');
    const listed = await candidates(id);
    const mp3 = listed.ranked.find((r) => r.username === 'mp3peer')!;
    const live = listed.rejected.find((r) => r.username === 'livepeer')!;
    const stuckTransfer = stack.emulator.enqueues.filter((e) => e.username === 'stuckpeer').at(-1)!;
    const before = stack.emulator.enqueues.length;
    const picked = await Promise.all([pick(id, mp3.candidateId), pick(id, live.candidateId)]);
    expect(picked.map((r) => r.status)).toEqual([200, 200]);
    const done = await finished(id);
    expect(done.status, done.errorMessage ?? '').toBe('completed');
    const after = stack.emulator.enqueues.slice(before);
    expect(after.map((e) => e.username)).toEqual([done.source!.username]);
    const cancel = stack.emulator.cancels.find((c) => c.transferId === stuckTransfer.transferId);
    expect(cancel).toBeDefined();
    expect(after[0]!.at).toBeGreaterThanOrEqual(cancel!.at);
  });

  it('runs at most 3 searches by hand at once; more are told 429, and may search once one answered', async () => {
    const all = await Promise.all(
      Array.from({ length: 5 }, () =>
        stack.api<{ message?: string }>('POST', '/api/search', { query: 'sine tone' }),
      ),
    );
    const statuses = all.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const busy = all.find((r) => r.status === 429)!;
    expect(busy.body.message).toMatch(/^3 manual or album searches are running/);
    const again = await stack.api('POST', '/api/search', { query: 'sine tone' });
    expect(again.status).toBe(200);
  });

  // Last: it stops the stack's SoulSpot and goes on with a new one on the same database.
  it('keeps a pick across a restart: the new process enqueues the picked file', async () => {
    const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
      artist: ARTIST,
      title: 'Tone A',
    });
    const id = created.body.id;
    await one(id, (d) => d.status === 'queued' && d.source?.username === 'stuckpeer');
    const paused = await stack.api('POST', '/api/downloads/batch', { ids: [id], action: 'pause' });
    expect(paused.status).toBe(200);
    const mp3 = (await candidates(id)).ranked.find((r) => r.username === 'mp3peer')!;
    expect((await pick(id, mp3.candidateId)).status).toBe(200);
    const enqueuedBefore = stack.emulator.enqueues.length;
    await stack.soulspot.stop();

    second = await startSoulSpot(stack.config);
    const api = async <T>(method: string, url: string, body?: unknown) => {
      const res = await fetch(`${second!.url}${url}`, {
        method,
        headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    };
    const kept = await api<CandidatesDto>('GET', `/api/downloads/${id}/candidates`);
    expect(kept.body.pick).toMatchObject({ candidateId: mp3.candidateId, state: 'pending' });
    expect(
      (await api('POST', '/api/downloads/batch', { ids: [id], action: 'resume' })).status,
    ).toBe(200);
    const items = await waitForDownloads(
      api,
      (all) => all.some((d) => d.id === id && d.status === 'completed'),
      30_000,
    );
    expect(items.find((d) => d.id === id)?.source?.username).toBe('mp3peer');
    // Nothing went to the stuck peer again: the picked file was the next and only enqueue.
    const after = stack.emulator.enqueues.slice(enqueuedBefore);
    expect(after.map((e) => [e.username, e.filename])).toEqual([['mp3peer', mp3.filename]]);
  });
});
