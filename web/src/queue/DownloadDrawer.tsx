/**
 * One download in detail (`/queue/<id>`): its attempts with outcome and error, the last search's
 * candidates with score breakdown and rejection reasons, a manual source pick, the library path,
 * and the events about it seen since the drawer opened (SSE filtered by id). Every peer name and
 * path is shown as text.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import { subscribeAll } from '../events';
import type { Candidates, Download, EventName, RejectedCandidate } from '../types';
import { formatBytes } from './rows';

interface SeenEvent {
  id: number;
  type: EventName;
  at: string;
  summary: string;
}

/** Whether an event is about this download, and a line saying what it changed. */
export function eventAbout(type: EventName, payload: unknown, id: string): string | null {
  if (!payload || typeof payload !== 'object') return null;
  const p = payload as Record<string, unknown>;
  if (type === 'downloads.changed') {
    const ids = Array.isArray(p['ids']) ? (p['ids'] as unknown[]) : [];
    return ids.includes(id) ? String(p['action']) : null;
  }
  if (p['id'] !== id || !type.startsWith('download.')) return null;
  if (type === 'download.progress') return `${String(p['progress'])}%`;
  if (type === 'download.updated') {
    const changed = Array.isArray(p['changed'])
      ? (p['changed'] as string[]).join(', ')
      : 'snapshot';
    return `${String(p['status'])} (${changed})`;
  }
  return String(p['status'] ?? '');
}

export function DownloadDrawer({ id, onClose }: { id: string; onClose(): void }) {
  const [d, setD] = useState<Download | null>(null);
  const [cands, setCands] = useState<Candidates | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const [events, setEvents] = useState<SeenEvent[]>([]);

  const load = () => {
    api.get<Download>(apiPath`/api/downloads/${id}`).then(setD, (e) => setError(errorText(e)));
    api
      .get<Candidates>(apiPath`/api/downloads/${id}/candidates`)
      .then(setCands, () => setCands(null));
  };

  useEffect(() => {
    setD(null);
    setCands(null);
    setError(null);
    setEvents([]);
    load();
    return subscribeAll((type, payload, eventId) => {
      const summary = eventAbout(type, payload, id);
      if (summary === null) return;
      setEvents((list) =>
        [{ id: eventId, type, at: new Date().toLocaleTimeString(), summary }, ...list].slice(
          0,
          100,
        ),
      );
      if (
        type === 'download.updated' ||
        type === 'download.completed' ||
        type === 'download.failed'
      )
        setD(payload as Download);
      else if (type === 'download.progress')
        setD((cur) => (cur ? { ...cur, ...(payload as Partial<Download>) } : cur));
      if (type === 'download.updated' || type === 'downloads.changed') {
        api.get<Candidates>(apiPath`/api/downloads/${id}/candidates`).then(setCands, () => {});
      }
    });
  }, [id]);

  async function pick(candidateId: string) {
    setPickError(null);
    try {
      setD(
        await api.send<Download>('POST', apiPath`/api/downloads/${id}/source`, {
          candidateId,
        }),
      );
      load();
    } catch (e) {
      setPickError(errorText(e));
    }
  }

  // The API takes a pick while the download waits, searches, queues or downloads, or after it
  // failed or was cancelled; the button says so instead of offering a sure refusal.
  const canPick = d !== null && d.status !== 'completed' && d.status !== 'processing';

  return (
    <aside class="drawer" data-testid="download-drawer" aria-label="Download details">
      <header class="drawer-head">
        <h2>{d ? `${d.artist} – ${d.title}` : 'Download'}</h2>
        <button
          type="button"
          class="link-button"
          onClick={onClose}
          aria-label="Close details"
          data-testid="drawer-close"
        >
          ×
        </button>
      </header>
      {error && <p class="error">{error}</p>}
      {d && (
        <>
          <dl class="facts">
            <dt>Status</dt>
            <dd>
              <span class={`badge status-${d.status}`}>{d.status}</span>
              {d.errorCode && <span class="badge error">{d.errorCode}</span>}
            </dd>
            {d.errorMessage && (
              <>
                <dt>Error</dt>
                <dd>{d.errorMessage}</dd>
              </>
            )}
            <dt>Album</dt>
            <dd>{d.album ?? '–'}</dd>
            <dt>Progress</dt>
            <dd>
              {d.progress}% · {formatBytes(d.bytesTransferred)} / {formatBytes(d.size)}
            </dd>
            <dt>Priority</dt>
            <dd>{d.priority}</dd>
            <dt>Retries</dt>
            <dd>
              {d.retryCount} / {d.maxRetries}
              {d.nextRetryAt && ` (next ${d.nextRetryAt})`}
            </dd>
            <dt>Source</dt>
            <dd>
              {d.source
                ? `${d.source.provider} · ${d.source.username} · ${d.source.filename}`
                : '–'}
            </dd>
            <dt>Library path</dt>
            <dd data-testid="drawer-library-path">{d.libraryPath ?? '–'}</dd>
            {d.transcodeCheck && (
              <>
                <dt>Transcode check</dt>
                <dd>
                  {d.transcodeCheck}
                  {d.transcodeCutoffHz ? ` (cut-off ${d.transcodeCutoffHz} Hz)` : ''}
                </dd>
              </>
            )}
          </dl>
          <h3>Attempts ({d.attempts.length})</h3>
          <ol class="attempts" data-testid="drawer-attempts">
            {d.attempts.map((a) => (
              <li key={a.id}>
                <span class={`badge outcome-${a.outcome}`}>{a.outcome}</span> {a.username} ·{' '}
                {a.filename} · {formatBytes(a.size)}
                {a.errorCode && (
                  <div class="error small">
                    {a.errorCode}
                    {a.errorMessage ? `: ${a.errorMessage}` : ''}
                  </div>
                )}
                <div class="muted small">
                  {a.startedAt}
                  {a.finishedAt ? ` → ${a.finishedAt}` : ''}
                </div>
              </li>
            ))}
          </ol>
        </>
      )}
      {cands && (
        <>
          <h3>
            Candidates ({cands.rankedTotal} ranked, {cands.rejectedTotal} rejected)
          </h3>
          {cands.query && (
            <p class="muted small">
              Query: {cands.query}
              {cands.profile ? ` · profile ${cands.profile.name}` : ''}
            </p>
          )}
          {pickError && (
            <p class="error" role="alert">
              {pickError}
            </p>
          )}
          <table class="candidates" data-testid="drawer-candidates">
            <thead>
              <tr>
                <th>#</th>
                <th>Peer · file</th>
                <th>Score</th>
                <th>Why</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {cands.ranked.map((c) => (
                <tr key={c.candidateId} class={c.picked ? 'picked' : ''}>
                  <td>{c.rank}</td>
                  <td>
                    {c.username} · {c.filename}
                    <div class="muted small">
                      {c.extension} {c.bitRate ? `${c.bitRate} kbps` : ''} {formatBytes(c.size)} ·{' '}
                      {c.hasFreeUploadSlot ? 'free slot' : `queue ${c.queueLength}`}
                    </div>
                  </td>
                  <td>{c.score.toFixed(1)}</td>
                  <td class="small">
                    {c.notes.join(', ')}
                    {c.profileParts.map((p) => (
                      <div key={p.condition}>
                        {p.condition} {p.points}: {p.reason}
                      </div>
                    ))}
                  </td>
                  <td>
                    <button
                      type="button"
                      onClick={() => void pick(c.candidateId)}
                      disabled={c.picked || !canPick}
                    >
                      {c.picked ? 'Picked' : 'Use'}
                    </button>
                  </td>
                </tr>
              ))}
              {cands.rejected.map((c) => (
                <RejectedRow key={c.candidateId} c={c} canPick={canPick} pick={pick} />
              ))}
            </tbody>
          </table>
          {cands.earlier.map((e, i) => (
            <section key={`${e.provider}-${i}`} data-testid="drawer-earlier">
              <h4>
                Before: {e.provider} ({e.rankedTotal} ranked, {e.rejectedTotal} rejected)
              </h4>
              <p class="muted small">
                {e.reason}
                {e.query ? ` · query: ${e.query}` : ''}
              </p>
              {e.rejected.length > 0 && (
                <table class="candidates">
                  <tbody>
                    {e.rejected.map((c) => (
                      <RejectedRow key={c.candidateId} c={c} canPick={canPick} pick={pick} />
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          ))}
        </>
      )}
      <h3>Events</h3>
      <ol class="events small" data-testid="drawer-events">
        {events.length === 0 && <li class="muted">None since this opened.</li>}
        {events.map((e) => (
          <li key={e.id}>
            {e.at} {e.type}: {e.summary}
          </li>
        ))}
      </ol>
    </aside>
  );
}

/** A candidate the ranking turned away: its reason, and a pick that overrides it. */
function RejectedRow({
  c,
  canPick,
  pick,
}: {
  c: RejectedCandidate;
  canPick: boolean;
  pick(candidateId: string): Promise<void>;
}) {
  return (
    <tr class={`rejected${c.picked ? ' picked' : ''}`}>
      <td>–</td>
      <td>
        {c.username} · {c.filename}
      </td>
      <td />
      <td class="small">
        {c.reason}
        {c.conditions.length > 0 && ` (${c.conditions.join(', ')})`}
      </td>
      <td>
        <button
          type="button"
          onClick={() => void pick(c.candidateId)}
          disabled={c.picked || !canPick}
          title="Override the ranking"
        >
          {c.picked ? 'Picked' : 'Use anyway'}
        </button>
      </td>
    </tr>
  );
}
