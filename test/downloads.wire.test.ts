import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredCandidates } from '../src/downloads/search.step.js';
import { candidateId } from '../src/matching/candidate-id.js';
import { API_KEY, startApiServer, type ApiServer } from './helpers/api-server.js';
import { testDialects } from './helpers/db.js';
import { downloadRow } from './helpers/factories.js';

/**
 * The JSON of GET /api/downloads/{id} and GET /api/downloads/{id}/candidates, byte for byte (field
 * order included), for a download with two attempts (one checked as a suspect transcode) and a
 * search with ranked and rejected files. The Download's source and attempts and the candidates'
 * files share one description of a file (download.dto.ts): this is what that must keep sending.
 */
const T0 = Date.UTC(2026, 0, 31, 22, 0, 0);
const ID = '6f1c1d2e-3a4b-4c5d-8e6f-708192a3b4c5';
const FIRST = 'a1111111-1111-4111-8111-111111111111';
const SECOND = 'a2222222-2222-4222-8222-222222222222';
const PICKED = '6f1c1d2e-3a4b-4c5d-8e6f-708192a3b4c6';

const flac = {
  provider: 'slskd',
  username: 'peer<b>',
  filename: '@@music\\Nina Simone\\Pastel Blues\\07 - Sinnerman.flac',
  size: 61_234_567,
  extension: 'flac',
  bitRate: 1411,
  sampleRate: 44_100,
  bitDepth: 16,
  lengthSeconds: 622,
  hasFreeUploadSlot: true,
  queueLength: 0,
  uploadSpeed: 2_500_000,
};
const mp3 = {
  provider: 'slskd',
  username: 'other',
  filename: 'C:\\Music\\Sinnerman (Remix).mp3',
  size: 9_000_000,
  extension: 'mp3',
  bitRate: 320,
  hasFreeUploadSlot: false,
  queueLength: 12,
  uploadSpeed: 100_000,
};
const stored: StoredCandidates = {
  query: 'Nina Simone Sinnerman',
  profile: { id: 'b0000000-0000-4000-8000-000000000002', name: 'Balanced' },
  ranked: [
    { candidate: flac, score: 91.5, notes: ['flac', 'free slot'] },
    {
      candidate: { ...flac, username: 'second', hasFreeUploadSlot: false, queueLength: 3 },
      score: 70,
      notes: ['flac'],
      profileParts: [{ condition: 'sampleRate', points: -5, reason: 'below 48000 Hz' }],
    },
  ],
  rejected: [{ candidate: mp3, reason: 'remix, not requested' }],
  rankedTotal: 2,
  rejectedTotal: 1,
};

const attempt = (id: string, username: string, at: number) => ({
  id,
  download_id: ID,
  round: 0,
  provider: 'slskd',
  username,
  filename: flac.filename,
  size: flac.size,
  extension: 'flac',
  bit_rate: 1411,
  sample_rate: 44_100,
  bit_depth: 16,
  length_seconds: 622,
  batch_id: `batch-${id}`,
  transfer_id: `transfer-${id}`,
  state: 'failed',
  error_code: null as string | null,
  error_message: null as string | null,
  requeues: 0,
  created_at: at,
  updated_at: at,
  finished_at: at + 1000,
  transcode_check: null as string | null,
  suspect_transcode: null as number | null,
  transcode_cutoff_hz: null as number | null,
});

const EXPECTED_DOWNLOAD = {
  id: ID,
  status: 'downloading',
  scheduledAt: null,
  artist: 'Nina Simone',
  title: 'Sinnerman',
  album: 'Pastel Blues',
  albumArtist: null,
  trackNumber: 7,
  discNumber: null,
  year: 1965,
  genre: null,
  durationSeconds: 622.5,
  qualityProfileId: null,
  // Added with migration 032 (additive: null when the request named none).
  preferredProvider: null,
  coverUrl: null,
  isrc: null,
  musicbrainzRecordingId: null,
  musicbrainzReleaseId: null,
  musicbrainzArtistId: null,
  musicbrainzReleaseGroupId: null,
  trackTotal: null,
  discTotal: null,
  priority: 0,
  progress: 42.1,
  bytesTransferred: 25_000_000,
  size: 61_234_567,
  queuePosition: null,
  retryCount: 0,
  maxRetries: 3,
  nextRetryAt: null,
  errorCode: null,
  errorMessage: null,
  source: {
    provider: 'slskd',
    username: 'second',
    filename: flac.filename,
    size: 61_234_567,
    extension: 'flac',
    bitRate: 1411,
    sampleRate: 44_100,
    bitDepth: 16,
    lengthSeconds: 622,
  },
  attempts: [
    {
      id: FIRST,
      provider: 'slskd',
      username: 'peer<b>',
      filename: flac.filename,
      size: 61_234_567,
      transferId: `transfer-${FIRST}`,
      outcome: 'failed',
      errorCode: 'invalid_file',
      errorMessage: 'suspected transcode, spectrum stops at 16000 Hz',
      startedAt: '2026-01-31T22:00:01.000Z',
      finishedAt: '2026-01-31T22:00:02.000Z',
      transcodeCheck: 'suspect',
      suspectTranscode: true,
      transcodeCutoffHz: 16_000,
    },
    {
      id: SECOND,
      provider: 'slskd',
      username: 'second',
      filename: flac.filename,
      size: 61_234_567,
      transferId: `transfer-${SECOND}`,
      outcome: 'enqueued',
      errorCode: null,
      errorMessage: null,
      startedAt: '2026-01-31T22:00:05.000Z',
      finishedAt: null,
      transcodeCheck: null,
      suspectTranscode: null,
      transcodeCutoffHz: null,
    },
  ],
  libraryPath: null,
  transcodeCheck: null,
  suspectTranscode: null,
  transcodeCutoffHz: null,
  createdAt: '2026-01-31T22:00:00.000Z',
  updatedAt: '2026-01-31T22:00:09.000Z',
  completedAt: null,
};

const file = (c: typeof flac | typeof mp3) => ({
  // The pick handle (manual pick) leads, then the file as the Download's source shows it.
  candidateId: candidateId(c),
  picked: false,
  provider: c.provider,
  username: c.username,
  filename: c.filename,
  size: c.size,
  extension: c.extension,
  bitRate: c.bitRate,
  sampleRate: 'sampleRate' in c ? c.sampleRate : null,
  bitDepth: 'bitDepth' in c ? c.bitDepth : null,
  lengthSeconds: 'lengthSeconds' in c ? c.lengthSeconds : null,
  hasFreeUploadSlot: c.hasFreeUploadSlot,
  queueLength: c.queueLength,
  uploadSpeed: c.uploadSpeed,
  // Added with indexers (issue 11): what an indexer said of a release; null for a peer's file.
  release: null,
});
const EXPECTED_CANDIDATES = {
  downloadId: ID,
  query: 'Nina Simone Sinnerman',
  profile: { id: 'b0000000-0000-4000-8000-000000000002', name: 'Balanced' },
  searchedAheadAt: null,
  rankedTotal: 2,
  rejectedTotal: 1,
  ranked: [
    {
      rank: 1,
      ...file(flac),
      score: 91.5,
      notes: ['flac', 'free slot'],
      profileParts: [],
      // The first attempt was this file: its check shows here too.
      transcodeCheck: 'suspect',
      suspectTranscode: true,
      transcodeCutoffHz: 16_000,
    },
    {
      rank: 2,
      ...file({ ...flac, username: 'second', hasFreeUploadSlot: false, queueLength: 3 }),
      score: 70,
      notes: ['flac'],
      profileParts: [{ condition: 'sampleRate', points: -5, reason: 'below 48000 Hz' }],
      transcodeCheck: null,
      suspectTranscode: null,
      transcodeCutoffHz: null,
    },
  ],
  rejected: [{ ...file(mp3), reason: 'remix, not requested', conditions: [] }],
  pick: null,
  // Added with fallback across providers (issue 11), at the end: fields are only ever added.
  provider: null,
  earlier: [],
};

describe.each(testDialects())('download wire shapes on %s', (dialect) => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer(dialect);
    const db = server.soulspot.db.db;
    await db
      .insertInto('downloads')
      .values(
        downloadRow({
          id: ID,
          status: 'downloading',
          artist: 'Nina Simone',
          title: 'Sinnerman',
          album: 'Pastel Blues',
          track_number: 7,
          year: 1965,
          duration_seconds: 622.5,
          progress: 42.1234,
          bytes_transferred: 25_000_000,
          size: 61_234_567,
          candidates: JSON.stringify(stored),
          created_at: T0,
          updated_at: T0 + 9000,
        }),
      )
      .execute();
    await db
      .insertInto('attempts')
      .values([
        {
          ...attempt(FIRST, 'peer<b>', T0 + 1000),
          error_code: 'invalid_file',
          error_message: 'suspected transcode, spectrum stops at 16000 Hz',
          transcode_check: 'suspect',
          suspect_transcode: 1,
          transcode_cutoff_hz: 16_000,
        },
        { ...attempt(SECOND, 'second', T0 + 5000), state: 'enqueued', finished_at: null },
      ])
      .execute();
    await db
      .updateTable('downloads')
      .set({ current_attempt_id: SECOND })
      .where('id', '=', ID)
      .execute();
    // A pick stored by an older SoulSpot: its id is of the older, NUL-joined form.
    const olderId = createHash('sha256')
      .update(`${flac.provider}\u0000${flac.username}\u0000${flac.filename}`)
      .digest('base64url')
      .slice(0, 16);
    const pick = { candidateId: olderId, candidate: flac, from: 'ranked', pickedAt: T0 + 2000 };
    await db
      .insertInto('downloads')
      .values(
        downloadRow({
          id: PICKED,
          status: 'waiting',
          artist: 'Nina Simone',
          title: 'Sinnerman (picked)',
          candidates: JSON.stringify({ ...stored, pick }),
          created_at: T0,
          updated_at: T0 + 2000,
        }),
      )
      .execute();
  });
  afterAll(async () => {
    await server?.close();
  });

  const body = async (url: string): Promise<string> => {
    const res = await server.app.inject({ method: 'GET', url, headers: { 'x-api-key': API_KEY } });
    expect(res.statusCode, res.body).toBe(200);
    return res.body;
  };

  it('sends the Download with its source and attempts as it always has', async () => {
    expect(await body(`/api/downloads/${ID}`)).toBe(JSON.stringify(EXPECTED_DOWNLOAD));
  });

  it('sends the candidates as they always were', async () => {
    expect(await body(`/api/downloads/${ID}/candidates`)).toBe(JSON.stringify(EXPECTED_CANDIDATES));
  });

  it('shows a pick stored with an older id under the current id, on the entry it names', async () => {
    const dto = JSON.parse(await body(`/api/downloads/${PICKED}/candidates`)) as {
      ranked: { candidateId: string; picked: boolean }[];
      pick: { candidateId: string; state: string };
    };
    expect(dto.pick).toMatchObject({ candidateId: candidateId(flac), state: 'pending' });
    expect(dto.ranked.map((r) => r.picked)).toEqual([true, false]);
    expect(dto.ranked[0]!.candidateId).toBe(candidateId(flac));
  });
});
