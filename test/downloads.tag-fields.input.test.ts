import { describe, expect, it } from 'vitest';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { testDialects } from './helpers/db.js';
import { useApiServer } from './helpers/api-server.js';

const MBID = '8f3471b5-7e6a-48da-86a9-c1c07a0f47ae';

/** The tag and cover fields of POST /api/downloads (post-processing): validated, stored, shown. */
describe.each(testDialects())('tag fields on %s', (dialect) => {
  const api = useApiServer(dialect);
  const { send } = api;

  it.each([
    ['isrc', 'us-rc1-76-07839'],
    ['isrc', 'USRC1760783'],
    ['isrc', 'USRC176078390'],
    ['musicbrainzRecordingId', 'not-a-uuid'],
    ['musicbrainzReleaseId', MBID.toUpperCase()],
    ['musicbrainzArtistId', `${MBID}x`],
    ['musicbrainzReleaseGroupId', 42],
    ['coverUrl', 'ftp://example.com/cover.jpg'],
    ['coverUrl', 'file:///etc/passwd'],
    ['coverUrl', 'javascript:alert(1)'],
    ['coverUrl', 'https://'],
    ['coverUrl', `https://example.com/${'a'.repeat(2000)}`],
    ['coverUrl', 'https://example.com/a b.jpg'],
    ['trackTotal', 0],
    ['trackTotal', 1000],
    ['discTotal', 100],
    ['discTotal', 1.5],
    // Year 0 reads back as no year in every format: it could never be tagged.
    ['year', 0],
  ])('refuses %s = %.40j with a 400 naming the field', async (field, value) => {
    const res = await send('POST', '/api/downloads', {
      artist: 'A',
      title: `T ${field} ${String(value).slice(0, 20)}`,
      [field]: value,
    });
    expect(res.status).toBe(400);
    expect(res.json.message).toContain(`body/${field}`);
  });

  it('stores and shows every field', async () => {
    const body = {
      artist: 'Artist',
      title: 'Tagged',
      coverUrl: 'https://coverartarchive.org/release/1f3471b5/front-500.jpg',
      isrc: 'USRC17607839',
      musicbrainzRecordingId: MBID,
      musicbrainzReleaseId: '1f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
      musicbrainzArtistId: '2f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
      musicbrainzReleaseGroupId: '3f3471b5-7e6a-48da-86a9-c1c07a0f47ae',
      trackTotal: 12,
      discTotal: 2,
    };
    const created = await send('POST', '/api/downloads', body);
    expect(created.status).toBe(201);
    const { artist: _a, title: _t, ...fields } = body;
    expect(created.json).toMatchObject(fields);
    const read = await send('GET', `/api/downloads/${String(created.json.id)}`);
    expect(read.json as unknown as DownloadDto).toMatchObject(fields);
  });

  it('shows null for fields not given', async () => {
    const created = await send('POST', '/api/downloads', { artist: 'Artist', title: 'Plain' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      coverUrl: null,
      isrc: null,
      musicbrainzRecordingId: null,
      trackTotal: null,
      discTotal: null,
    });
  });

  it('validates the post-processing settings', async () => {
    const ok = await send('PATCH', '/api/settings', {
      tagFiles: false,
      fetchAllowedRanges: ['192.168.1.0/24', 'fd00::/8'],
    });
    expect(ok.status).toBe(200);
    // The test harness starts with post-processing off (fastEnv); only tagFiles changed here.
    expect(ok.json).toMatchObject({ tagFiles: false, embedCover: false, writeFolderCover: false });
    const bad = await send('PATCH', '/api/settings', { fetchAllowedRanges: ['10.0.0.0/33'] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('fetchAllowedRanges');
    const notBool = await send('PATCH', '/api/settings', { embedCover: 'yes' });
    expect(notBool.status).toBe(400);
    expect(notBool.json.message).toContain('embedCover');
  });
});
