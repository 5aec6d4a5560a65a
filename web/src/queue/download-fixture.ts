/**
 * A Download with every field, for the queue's unit tests. Its imports end in .js: root tests
 * (test/web-*.test.ts) import it too, under the Node resolution.
 */
import type { Download } from '../types.js';

let n = 0;
export function dl(over: Partial<Download> = {}): Download {
  n++;
  return {
    id: `id-${n}`,
    status: 'waiting',
    scheduledAt: null,
    artist: 'Artist',
    title: `Title ${n}`,
    album: null,
    albumArtist: null,
    trackNumber: null,
    discNumber: null,
    year: null,
    genre: null,
    durationSeconds: null,
    qualityProfileId: null,
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
    progress: 0,
    bytesTransferred: 0,
    size: null,
    queuePosition: null,
    retryCount: 0,
    maxRetries: 3,
    nextRetryAt: null,
    errorCode: null,
    errorMessage: null,
    source: null,
    attempts: [],
    libraryPath: null,
    transcodeCheck: null,
    suspectTranscode: null,
    transcodeCutoffHz: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    completedAt: null,
    ...over,
  };
}
