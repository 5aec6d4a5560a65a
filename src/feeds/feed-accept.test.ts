import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDb, testDialects, type TestDb } from '../../test/helpers/db.js';
import type { CreateAlbumRequest } from '../albums/albums.dto.js';
import type { TrackRequest } from '../downloads/download.js';
import { UnknownProviderError } from '../downloads/provider-check.js';
import { acceptPending, type AcceptTargets } from './feed-accept.js';
import { createFeedsRepository, type FeedsRepository } from './feeds.repository.js';
import { setUpFeeds, type Feeds } from './feeds.setup.js';

/**
 * Feed accept and a rule's provider, over a real database: the entry's provider goes with the
 * request to the ordinary accept paths; one they refuse as not configured (the source was
 * removed since the rule was written) is dropped with a warning and the request asked again
 * without it, so the match still becomes its download. Other refusals stay refusals.
 */
describe.each(testDialects())('feed accept with a rule provider (%s)', (dialect) => {
  let db: TestDb;
  let feeds: Feeds;
  let repo: FeedsRepository;
  let feedId: string;
  /** The indexers the fake accept paths take now. */
  let configured = ['slskd', 'torznab:local'];
  const tracks: TrackRequest[] = [];
  const albums: CreateAlbumRequest[] = [];
  const warnings: string[] = [];

  /** As the real services: a provider not configured is an UnknownProviderError, before any write. */
  const check = (provider: string | null | undefined) => {
    if (provider && !configured.includes(provider))
      throw new UnknownProviderError(`body/provider: no indexer "${provider}" is configured`);
  };
  const targets: AcceptTargets = {
    albums: {
      create: (body) => {
        check(body.provider);
        albums.push(body);
        return Promise.resolve({ id: randomUUID() });
      },
    },
    downloads: {
      create: (request) => {
        check(request.provider);
        if (request.title === 'Refused') {
          const error = Object.assign(new Error('body/qualityProfileId: no such profile'), {
            statusCode: 400,
          });
          return Promise.reject(error);
        }
        tracks.push(request);
        return Promise.resolve({ download: { id: randomUUID() }, created: true });
      },
    },
  };
  const deps = () => ({
    repo,
    owner: 'proc-a',
    now: Date.now,
    log: { warn: (_obj: object, msg?: string) => void warnings.push(msg ?? '') },
    targets,
  });

  beforeAll(async () => {
    db = await freshDb(dialect);
    repo = createFeedsRepository(db.db);
    feeds = setUpFeeds({
      handle: db,
      targets,
      providers: () => configured,
      owner: 'proc-a',
      log: { warn: () => undefined },
    });
    const feed = await feeds.service.createFeed({
      url: 'https://feeds.example/rss',
      enabled: false,
    });
    feedId = feed.id;
  });
  afterAll(async () => {
    await feeds.stop();
    await db.cleanup();
  });

  const pending = (kind: 'track' | 'album', release: string, provider: string | null) => {
    const t = Date.now();
    return {
      id: randomUUID(),
      feed_id: feedId,
      entry_hash: `hash-${randomUUID()}`,
      entry_id: randomUUID(),
      title: `Ruled - ${release}`,
      link: null,
      published_at: null,
      enclosure_url: null,
      seen_at: t,
      outcome: 'pending',
      reason: 'by watched artist "Ruled"',
      rule_id: null,
      kind,
      artist: 'Ruled',
      release,
      year: null,
      quality_profile_id: null,
      provider,
      download_id: null,
      album_id: null,
      claim_owner: null,
      claim_until: null,
      attempts: 0,
      last_error: null,
      updated_at: t,
    };
  };
  const outcomeOf = async (id: string) =>
    (await feeds.service.entries(feedId, { limit: 100 })).items.find((e) => e.id === id);

  it('passes the entry provider to the track and album accepts; none passes none', async () => {
    const rows = [
      pending('track', 'Song A', 'torznab:local'),
      pending('album', 'Album A', 'torznab:local'),
      pending('track', 'Song B', null),
    ];
    await repo.insertEntries(rows);
    expect(await acceptPending(deps())).toBe(3);
    expect(tracks.find((t) => t.title === 'Song A')?.provider).toBe('torznab:local');
    expect(albums.find((a) => a.album === 'Album A')?.provider).toBe('torznab:local');
    expect(tracks.find((t) => t.title === 'Song B')).not.toHaveProperty('provider');
    for (const row of rows) expect((await outcomeOf(row.id))?.outcome).toBe('accepted');
    expect(warnings).toEqual([]);
  });

  it('a provider no longer configured: asked again without it, accepted, warned and said', async () => {
    configured = ['slskd'];
    const rows = [
      pending('track', 'Song C', 'torznab:local'),
      pending('album', 'Album C', 'torznab:local'),
    ];
    await repo.insertEntries(rows);
    expect(await acceptPending(deps())).toBe(2);
    const track = tracks.find((t) => t.title === 'Song C');
    expect(track).toBeDefined();
    expect(track).not.toHaveProperty('provider');
    const album = albums.find((a) => a.album === 'Album C');
    expect(album).toBeDefined();
    expect(album).not.toHaveProperty('provider');
    for (const row of rows) {
      const entry = await outcomeOf(row.id);
      expect(entry?.outcome).toBe('accepted');
      expect(entry?.reason).toMatch(/provider "torznab:local" is not configured now/);
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/not a configured indexer/);
  });

  it('any other refusal is still a failed entry', async () => {
    const row = pending('track', 'Refused', 'slskd');
    await repo.insertEntries([row]);
    expect(await acceptPending(deps())).toBe(1);
    const entry = await outcomeOf(row.id);
    expect(entry?.outcome).toBe('failed');
  });
});
