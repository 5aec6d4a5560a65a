/**
 * The Feeds page: the watched RSS/Atom feeds with their last poll (GET /api/feeds), add / poll now
 * / remove, the entries of one feed with why each matched the watchlist or not
 * (GET /api/feeds/:id/entries), and the watchlist (GET/POST/DELETE /api/watchlist). Titles and
 * reasons come from remote feeds: they are rendered as text only (Preact escapes them), and a link
 * is shown only when the API kept it (http or https).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import { formatRelative, formatTime } from './shared/format';
import { Badge, ErrorLine, TableBox } from './shared/ui';
import './pages.css';

interface Feed {
  id: string;
  name: string;
  url: string;
  intervalMinutes: number;
  enabled: boolean;
  allowPrivateAddress: boolean;
  nextPollAt: string;
  failures: number;
  lastPoll: {
    at: string;
    status: string;
    httpStatus: number | null;
    error: string | null;
    entries: number;
    newEntries: number;
  } | null;
}

interface Entry {
  id: string;
  title: string;
  link: string | null;
  seenAt: string;
  outcome: string;
  reason: string;
  kind: string | null;
  downloadId: string | null;
  albumId: string | null;
  error: string | null;
}

interface Rule {
  id: string;
  artist: string;
  album: string | null;
  keywords: string[];
  kind: 'album' | 'track';
  allowVariants: boolean;
  enabled: boolean;
}

/** Outcome words on the fixed badge tones. */
const OUTCOME_TONE: Record<string, string> = {
  accepted: 'completed',
  existing: 'ok',
  pending: 'waiting',
  failed: 'failed',
  unmatched: 'cancelled',
};

export function FeedsPage() {
  const [feeds, setFeeds] = useState<Feed[] | null>(null);
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const loadFeeds = () =>
    api.get<{ items: Feed[] }>('/api/feeds').then(
      (r) => setFeeds(r.items),
      (e: unknown) => setError(errorText(e)),
    );
  const loadRules = () =>
    api.get<{ items: Rule[] }>('/api/watchlist').then(
      (r) => setRules(r.items),
      (e: unknown) => setError(errorText(e)),
    );
  const loadEntries = (id: string) =>
    api.get<{ items: Entry[] }>(apiPath`/api/feeds/${id}/entries`, { limit: 200 }).then(
      (r) => setEntries(r.items),
      (e: unknown) => setError(errorText(e)),
    );

  useEffect(() => {
    void loadFeeds();
    void loadRules();
  }, []);
  useEffect(() => {
    setEntries(null);
    if (selected) void loadEntries(selected);
  }, [selected]);

  const act = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const pollNow = (feed: Feed) =>
    act(async () => {
      await api.send('POST', apiPath`/api/feeds/${feed.id}/poll`);
      await loadFeeds();
      if (selected === feed.id) await loadEntries(feed.id);
    });
  const removeFeed = (feed: Feed) =>
    act(async () => {
      await api.send('DELETE', apiPath`/api/feeds/${feed.id}`);
      if (selected === feed.id) setSelected(null);
      await loadFeeds();
    });
  const removeRule = (rule: Rule) =>
    act(async () => {
      await api.send('DELETE', apiPath`/api/watchlist/${rule.id}`);
      await loadRules();
    });

  const current = feeds?.find((f) => f.id === selected) ?? null;

  return (
    <section class="page" data-testid="page-feeds">
      <div class="page-head">
        <h1>Feeds</h1>
      </div>
      <ErrorLine error={error} testid="feeds-error" />
      <div class="section">
        <h2>Watchlist</h2>
        <RuleForm onAdded={() => void loadRules()} />
        <TableBox testid="watchlist-table">
          <thead>
            <tr>
              <th>Artist</th>
              <th>Album</th>
              <th>Keywords</th>
              <th>Kind</th>
              <th>Versions</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules?.map((r) => (
              <tr key={r.id} data-testid="watchlist-row" data-id={r.id}>
                <td class="wrap">{r.artist}</td>
                <td class="wrap">{r.album ?? <span class="muted">any</span>}</td>
                <td class="wrap">{r.keywords.join(', ')}</td>
                <td>{r.kind}</td>
                <td>{r.allowVariants ? 'also remixes, live…' : 'originals only'}</td>
                <td>
                  <button type="button" class="danger" onClick={() => void removeRule(r)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {rules?.length === 0 && (
              <tr>
                <td colSpan={6} class="muted">
                  No artist is watched.
                </td>
              </tr>
            )}
          </tbody>
        </TableBox>
      </div>
      <div class="section">
        <h2>Feeds</h2>
        <FeedForm onAdded={() => void loadFeeds()} />
        <TableBox testid="feeds-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Last poll</th>
              <th class="num">Entries</th>
              <th class="num">New</th>
              <th>Next poll</th>
              <th class="num">Failures</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {feeds?.map((f) => (
              <tr key={f.id} data-testid="feed-row" data-id={f.id}>
                <td class="wrap" title={f.url}>
                  {f.name}
                  {!f.enabled && <span class="muted"> (paused)</span>}
                </td>
                <td title={f.lastPoll?.error ?? undefined}>
                  {f.lastPoll ? (
                    <>
                      <Badge
                        value={f.lastPoll.status === 'not_modified' ? 'ok' : f.lastPoll.status}
                      />{' '}
                      {formatRelative(f.lastPoll.at)}
                    </>
                  ) : (
                    <span class="muted">never</span>
                  )}
                </td>
                <td class="num">{f.lastPoll?.entries ?? ''}</td>
                <td class="num">{f.lastPoll?.newEntries ?? ''}</td>
                <td title={formatTime(f.nextPollAt)}>
                  {f.enabled ? formatRelative(f.nextPollAt) : '—'}
                </td>
                <td class="num">{f.failures}</td>
                <td>
                  <button type="button" class="small" onClick={() => void pollNow(f)}>
                    Poll now
                  </button>{' '}
                  <button type="button" class="small" onClick={() => setSelected(f.id)}>
                    Entries
                  </button>{' '}
                  <button type="button" class="danger small" onClick={() => void removeFeed(f)}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {feeds?.length === 0 && (
              <tr>
                <td colSpan={7} class="muted">
                  No feed is watched.
                </td>
              </tr>
            )}
          </tbody>
        </TableBox>
      </div>
      {current && (
        <div class="section">
          <h2>Entries of {current.name}</h2>
          {current.lastPoll?.error && <p class="error">{current.lastPoll.error}</p>}
          <TableBox testid="feed-entries">
            <thead>
              <tr>
                <th>Title</th>
                <th>Outcome</th>
                <th>Why</th>
                <th>Seen</th>
              </tr>
            </thead>
            <tbody>
              {entries?.map((e) => (
                <tr key={e.id} data-testid="feed-entry" data-outcome={e.outcome}>
                  <td class="wrap">
                    {e.link ? (
                      <a href={e.link} target="_blank" rel="noopener noreferrer">
                        {e.title}
                      </a>
                    ) : (
                      e.title
                    )}
                  </td>
                  <td>
                    <Badge value={OUTCOME_TONE[e.outcome] ?? 'unknown'} /> {e.outcome}
                  </td>
                  <td class="wrap">{e.error ? `${e.reason} (${e.error})` : e.reason}</td>
                  <td>{formatTime(e.seenAt)}</td>
                </tr>
              ))}
              {entries?.length === 0 && (
                <tr>
                  <td colSpan={4} class="muted">
                    No entries yet.
                  </td>
                </tr>
              )}
            </tbody>
          </TableBox>
        </div>
      )}
    </section>
  );
}

function FeedForm({ onAdded }: { onAdded: () => void }) {
  const [url, setUrl] = useState('');
  const [name, setName] = useState('');
  const [interval, setIntervalText] = useState('60');
  const [allowPrivate, setAllowPrivate] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const minutes = Number(interval);
    if (!/^https?:\/\/\S+$/i.test(url.trim())) return setError('The feed must be an http(s) URL');
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10_080)
      return setError('The interval is a whole number of minutes, 1 to 10080');
    setBusy(true);
    try {
      await api.send('POST', '/api/feeds', {
        url: url.trim(),
        ...(name.trim() ? { name: name.trim() } : {}),
        intervalMinutes: minutes,
        allowPrivateAddress: allowPrivate,
      });
      setUrl('');
      setName('');
      onAdded();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" data-testid="feed-form" onSubmit={(e) => void submit(e)} noValidate>
      <div class="form-grid">
        <label class="field">
          <span class="label">Feed URL (RSS or Atom)</span>
          <input
            name="url"
            value={url}
            maxLength={2000}
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="label">Name (empty: the host)</span>
          <input
            name="name"
            value={name}
            maxLength={200}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="label">Every (minutes)</span>
          <input
            name="intervalMinutes"
            value={interval}
            inputMode="numeric"
            onInput={(e) => setIntervalText(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="label">
            <input
              type="checkbox"
              checked={allowPrivate}
              onChange={(e) => setAllowPrivate(e.currentTarget.checked)}
            />{' '}
            On this machine or the LAN
          </span>
        </label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          Add feed
        </button>
      </div>
      <ErrorLine error={error} testid="feed-form-error" />
    </form>
  );
}

function RuleForm({ onAdded }: { onAdded: () => void }) {
  const [artist, setArtist] = useState('');
  const [album, setAlbum] = useState('');
  const [kind, setKind] = useState<'album' | 'track'>('album');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!artist.trim()) return setError('Name the artist to watch');
    setBusy(true);
    try {
      await api.send('POST', '/api/watchlist', {
        artist: artist.trim(),
        ...(album.trim() ? { album: album.trim() } : {}),
        kind,
      });
      setArtist('');
      setAlbum('');
      onAdded();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card" data-testid="watchlist-form" onSubmit={(e) => void submit(e)} noValidate>
      <div class="form-grid">
        <label class="field">
          <span class="label">Artist</span>
          <input
            name="artist"
            value={artist}
            maxLength={500}
            onInput={(e) => setArtist(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="label">Album (empty: any)</span>
          <input
            name="album"
            value={album}
            maxLength={500}
            onInput={(e) => setAlbum(e.currentTarget.value)}
          />
        </label>
        <label class="field">
          <span class="label">A match becomes</span>
          <select
            name="kind"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value === 'track' ? 'track' : 'album')}
          >
            <option value="album">an album download</option>
            <option value="track">a track download</option>
          </select>
        </label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          Watch
        </button>
      </div>
      <ErrorLine error={error} testid="watchlist-form-error" />
    </form>
  );
}
