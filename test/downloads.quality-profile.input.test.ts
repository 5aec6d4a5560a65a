import { describe, expect, it } from 'vitest';
import { newDownloadRow } from '../src/downloads/accept.js';
import type { CandidatesDto } from '../src/downloads/candidates.dto.js';
import type { DownloadDto } from '../src/downloads/download.dto.js';
import { isForeignKeyViolation } from '../src/downloads/profile-check.js';
import { BUILT_IN_IDS } from '../src/matching/quality-profile-builtins.js';
import { testDialects } from './helpers/db.js';
import { useApiServer } from './helpers/api-server.js';

const UNKNOWN = '0f0f0f0f-0000-4000-8000-00000000abcd';

/** qualityProfileId on POST /api/downloads and bulk items, and the profile's guard on delete. */
describe.each(testDialects())('qualityProfileId on %s', (dialect) => {
  const api = useApiServer(dialect);
  const { send } = api;
  const count = async (): Promise<number> =>
    ((await send('GET', '/api/downloads?limit=500')).json.items as unknown[]).length;

  it.each([
    ['not a uuid', 'lossless-please', 'body/qualityProfileId must be a lowercase UUID'],
    ['an upper-case uuid', UNKNOWN.toUpperCase(), 'body/qualityProfileId must be a lowercase UUID'],
    ['a number', 1, 'body/qualityProfileId'],
    ['a well-formed unknown id', UNKNOWN, `body/qualityProfileId: no such profile ${UNKNOWN}`],
  ])('refuses %s, storing nothing', async (_what, value, message) => {
    const before = await count();
    const reply = await send('POST', '/api/downloads', {
      artist: 'Refused',
      title: String(value),
      qualityProfileId: value,
    });
    expect(reply.status, JSON.stringify(reply.json)).toBe(400);
    expect(reply.json.message).toContain(message);
    expect(await count()).toBe(before);
  });

  it('stores a profile id, or null for the default, and shows it', async () => {
    const named = await send('POST', '/api/downloads', {
      artist: 'Stored',
      title: 'Named',
      qualityProfileId: BUILT_IN_IDS.balanced,
    });
    expect(named.status).toBe(201);
    expect(named.json.qualityProfileId).toBe(BUILT_IN_IDS.balanced);
    const read = await send('GET', `/api/downloads/${named.json.id as string}`);
    expect((read.json as unknown as DownloadDto).qualityProfileId).toBe(BUILT_IN_IDS.balanced);
    const plain = await send('POST', '/api/downloads', {
      artist: 'Stored',
      title: 'Default',
      qualityProfileId: null,
    });
    expect(plain.status).toBe(201);
    expect(plain.json.qualityProfileId).toBeNull();
    // Not searched yet: the candidates are empty, not an error.
    const c = await send('GET', `/api/downloads/${plain.json.id as string}/candidates`);
    expect(c.status).toBe(200);
    expect(c.json as unknown as CandidatesDto).toMatchObject({
      query: null,
      profile: null,
      ranked: [],
      rejected: [],
    });
  });

  it('refuses a bulk request naming an unknown profile, by item, before storing any', async () => {
    const before = await count();
    const reply = await send('POST', '/api/downloads/bulk', {
      items: [
        { artist: 'Bulk', title: 'One', qualityProfileId: BUILT_IN_IDS.any },
        { artist: 'Bulk', title: 'Two' },
        { artist: 'Bulk', title: 'Three', qualityProfileId: UNKNOWN },
      ],
    });
    expect(reply.status).toBe(400);
    expect(reply.json.message).toContain(
      `body/items/2/qualityProfileId: no such profile ${UNKNOWN}`,
    );
    expect(await count()).toBe(before);

    const ok = await send('POST', '/api/downloads/bulk', {
      items: [
        { artist: 'Bulk', title: 'One', qualityProfileId: BUILT_IN_IDS.spaceSaver },
        { artist: 'Bulk', title: 'Two' },
      ],
    });
    expect(ok.status).toBe(200);
    const ids = (ok.json.items as { id: string }[]).map((i) => i.id);
    const shown = await Promise.all(ids.map((id) => send('GET', `/api/downloads/${id}`)));
    expect(shown.map((s) => s.json.qualityProfileId)).toEqual([BUILT_IN_IDS.spaceSaver, null]);
  });

  it('keeps a profile unfinished downloads name (409 with the count), lets it go once they end', async () => {
    const profile = await send('POST', '/api/quality-profiles', { name: `Mine ${dialect}` });
    const id = profile.json.id as string;
    const made = await Promise.all(
      ['A', 'B'].map((title) =>
        send('POST', '/api/downloads', { artist: 'Guarded', title, qualityProfileId: id }),
      ),
    );
    const refused = await send('DELETE', `/api/quality-profiles/${id}`);
    expect(refused.status).toBe(409);
    expect(refused.json.message).toContain('quality profile of 2 unfinished downloads');
    for (const m of made) await send('DELETE', `/api/downloads/${m.json.id as string}`);
    expect((await send('DELETE', `/api/quality-profiles/${id}`)).status).toBe(204);
    const after = await send('GET', `/api/downloads/${made[0]?.json.id as string}`);
    expect(after.json.status).toBe('cancelled');
    expect(after.json.qualityProfileId).toBeNull();
    // The profile is gone for new requests too.
    const late = await send('POST', '/api/downloads', {
      artist: 'Guarded',
      title: 'C',
      qualityProfileId: id,
    });
    expect(late.status).toBe(400);
  });

  it('has the database refuse a download naming no profile (a delete racing the check)', async () => {
    const row = newDownloadRow(
      { artist: 'Raced', title: 'Gone', qualityProfileId: UNKNOWN },
      Date.now(),
      3,
    );
    const error = await api.server.soulspot.db
      .writeTx((tx) => tx.insertInto('downloads').values(row).execute())
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).not.toBeNull();
    expect(isForeignKeyViolation(error)).toBe(true);
  });
});
