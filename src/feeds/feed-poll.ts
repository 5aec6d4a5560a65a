import { createHash, randomUUID } from 'node:crypto';
import type { Insertable } from 'kysely';
import type { DatabaseHandle } from '../db/database.js';
import { safeFetch, SafeFetchError, type SafeFetchOptions } from '../net/safe-fetch.js';
import { matchEntry, type WatchRule } from './feed-match.js';
import { parseFeed, type FeedEntry } from './feed-parse.js';
import { feedAddressPolicy } from './feed-policy.js';
import { FETCH_TIMEOUT_MS, MAX_FEED_BYTES, POLL_LEASE_MS, pollDelayMs } from './feed-schedule.js';
import type { ClaimedFeed, FeedsRepository, RuleRow } from './feeds.repository.js';
import type { FeedEntriesTable } from './feeds.tables.js';

/** What one poll found: the feed's `last_*` fields, and the answer of `POST /api/feeds/:id/poll`. */
export interface PollResult {
  status: 'ok' | 'not_modified' | 'failed' | 'refused';
  httpStatus: number | null;
  error: string | null;
  /** Entries in the document (0 for a 304 or a failure). */
  entries: number;
  /** Entries not seen before, recorded by this poll. */
  newEntries: number;
  /** New entries that matched the watchlist (pending their download). */
  matched: number;
}

export interface PollDeps {
  handle: DatabaseHandle;
  repo: FeedsRepository;
  owner: string;
  now: () => number;
  /** Name resolution for the fetch (tests point a name at a private address, with no traffic). */
  resolve?: SafeFetchOptions['resolve'];
  /** Overrides of the fetch limits (tests). */
  maxBytes?: number;
  timeoutMs?: number;
  /** Aborted at shutdown: a fetch in flight ends, and its poll writes nothing. */
  signal?: AbortSignal;
}

/** Lost the feed's lease to another process while fetching: nothing of this poll is written. */
class LeaseLost extends Error {}

type Fetched =
  | {
      kind: 'document';
      status: number;
      entries: FeedEntry[];
      etag: string | null;
      lastModified: string | null;
    }
  | { kind: 'not_modified'; status: number }
  | { kind: 'failed'; status: number | null; error: string; refused: boolean };

/**
 * Polls a feed taken with `repo.claim`: a conditional GET through safe-fetch (size, time and
 * address limits), the entries parsed and matched, then ONE transaction that records the new
 * entries (a match as `pending`, see feed-accept.ts) and the poll's result with the next poll time,
 * under the lease's fencing token. null: the lease was lost meanwhile, nothing written.
 */
export async function pollClaimed(deps: PollDeps, feed: ClaimedFeed): Promise<PollResult | null> {
  const fetched = await fetchFeed(deps, feed);
  // Stopping: the poll is not a failure of the feed. Its lease is released at the next start.
  if (deps.signal?.aborted) return null;
  const t = deps.now();
  const rules = fetched.kind === 'document' ? (await deps.repo.listRules()).map(toWatchRule) : [];
  const rows = fetched.kind === 'document' ? entryRows(feed.id, fetched.entries, rules, t) : [];
  const failures = fetched.kind === 'failed' ? feed.failures + 1 : 0;
  const result: PollResult = {
    status:
      fetched.kind === 'failed'
        ? fetched.refused
          ? 'refused'
          : 'failed'
        : fetched.kind === 'document'
          ? 'ok'
          : 'not_modified',
    httpStatus: fetched.status,
    error: fetched.kind === 'failed' ? fetched.error : null,
    entries: rows.length,
    newEntries: 0,
    matched: 0,
  };
  try {
    await deps.handle.writeTx(async (tx) => {
      const inserted = new Set<string>();
      // Chunks keep each statement within both drivers' parameter limits.
      for (let i = 0; i < rows.length; i += 200)
        for (const id of await deps.repo.insertEntries(rows.slice(i, i + 200), tx))
          inserted.add(id);
      result.newEntries = inserted.size;
      result.matched = rows.filter(
        (r) => inserted.has(r.id as string) && r.outcome === 'pending',
      ).length;
      const finished = await deps.repo.finishPoll(
        feed.id,
        feed.lease_token,
        {
          next_poll_at: t + pollDelayMs(feed.interval_minutes, failures),
          failures,
          last_polled_at: t,
          last_status: result.status,
          last_http_status: result.httpStatus,
          last_error: result.error,
          last_entry_count: result.entries,
          last_new_count: result.newEntries,
          updated_at: t,
          // A failure or a 304 keeps the validators of the last document read.
          ...(fetched.kind === 'document'
            ? { etag: fetched.etag, last_modified: fetched.lastModified }
            : {}),
        },
        tx,
      );
      if (finished === 0) throw new LeaseLost();
    });
  } catch (error) {
    if (error instanceof LeaseLost) return null;
    throw error;
  }
  return result;
}

async function fetchFeed(deps: PollDeps, feed: ClaimedFeed): Promise<Fetched> {
  const headers: Record<string, string> = {
    accept:
      'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5',
  };
  if (feed.etag) headers['if-none-match'] = feed.etag;
  if (feed.last_modified) headers['if-modified-since'] = feed.last_modified;
  try {
    const response = await safeFetch(feed.url, {
      maxBytes: deps.maxBytes ?? MAX_FEED_BYTES,
      // Within the lease: a poll cannot outlive its hold on the feed.
      timeoutMs: Math.min(deps.timeoutMs ?? FETCH_TIMEOUT_MS, POLL_LEASE_MS - 5_000),
      policy: feedAddressPolicy(feed.allow_private === 1),
      headers,
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
      ...(deps.signal ? { signal: deps.signal } : {}),
    });
    if (response.status === 304) return { kind: 'not_modified', status: 304 };
    if (response.status !== 200)
      return {
        kind: 'failed',
        status: response.status,
        error: `HTTP ${response.status}`,
        refused: false,
      };
    const parsed = parseFeed(decode(response.body, String(response.headers['content-type'] ?? '')));
    if (!parsed.ok) return { kind: 'failed', status: 200, error: parsed.reason, refused: false };
    return {
      kind: 'document',
      status: 200,
      entries: parsed.entries,
      etag: validator(response.headers['etag']),
      lastModified: validator(response.headers['last-modified']),
    };
  } catch (error) {
    if (error instanceof SafeFetchError)
      return {
        kind: 'failed',
        status: null,
        error: error.message,
        refused: error.reason === 'address_refused',
      };
    return { kind: 'failed', status: null, error: String(error), refused: false };
  }
}

/** A validator is sent back in a header: visible ASCII only, or it is not kept. */
function validator(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  return v && /^[\x20-\x7e]{1,300}$/.test(v) ? v : null;
}

/** The document's text in its declared charset (header, then XML declaration), UTF-8 otherwise. */
function decode(body: Buffer, contentType: string): string {
  const head = body.subarray(0, 200).toString('latin1');
  const label =
    /charset=["']?([\w.:-]+)/i.exec(contentType)?.[1] ??
    /^\s*<\?xml[^>]*encoding=["']([\w.:-]+)["']/i.exec(head)?.[1] ??
    'utf-8';
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    // A charset Node does not know: read as UTF-8 (unknown bytes become U+FFFD).
    return new TextDecoder('utf-8').decode(body);
  }
}

export function toWatchRule(
  row: RuleRow,
): WatchRule & { qualityProfileId: string | null; provider: string | null } {
  return {
    id: row.id,
    artist: row.artist,
    album: row.album,
    keywords: JSON.parse(row.keywords) as string[],
    excludeKeywords: JSON.parse(row.exclude_keywords) as string[],
    allowVariants: row.allow_variants === 1,
    kind: row.kind === 'track' ? 'track' : 'album',
    enabled: row.enabled === 1,
    qualityProfileId: row.quality_profile_id,
    provider: row.provider,
  };
}

/** The rows for a document's entries, each matched now; a match is `pending` its download. */
function entryRows(
  feedId: string,
  entries: FeedEntry[],
  rules: ReturnType<typeof toWatchRule>[],
  t: number,
): Insertable<FeedEntriesTable>[] {
  const seen = new Set<string>();
  const rows: Insertable<FeedEntriesTable>[] = [];
  for (const entry of entries) {
    const hash = createHash('sha256').update(entry.id).digest('hex');
    // A document that lists one id twice records it once (the insert would skip it anyway).
    if (seen.has(hash)) continue;
    seen.add(hash);
    const verdict = matchEntry(entry.title, rules);
    const rule = verdict.matched ? (verdict.rule as ReturnType<typeof toWatchRule>) : null;
    rows.push({
      id: randomUUID(),
      feed_id: feedId,
      entry_hash: hash,
      entry_id: entry.id,
      title: entry.title,
      link: entry.link,
      published_at: entry.publishedAt,
      enclosure_url: entry.enclosure?.url ?? null,
      seen_at: t,
      outcome: verdict.matched ? 'pending' : 'unmatched',
      reason: verdict.reason,
      rule_id: verdict.matched ? verdict.rule.id : verdict.ruleId,
      kind: rule?.kind ?? null,
      // The download is asked for under the rule's spelling of the artist (the user's).
      artist: rule ? rule.artist : (verdict.title?.artist ?? null),
      // Album and track titles are at most 500 characters wherever they are accepted.
      release: verdict.title ? verdict.title.release.slice(0, 500) : null,
      year: verdict.title?.year ?? null,
      quality_profile_id: rule?.qualityProfileId ?? null,
      provider: rule?.provider ?? null,
      download_id: null,
      album_id: null,
      claim_owner: null,
      claim_until: null,
      attempts: 0,
      last_error: null,
      updated_at: t,
    });
  }
  return rows;
}
