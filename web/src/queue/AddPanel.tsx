import { useState } from 'preact/hooks';
import { api, errorText } from '../api';
import { showToast } from '../toasts';
import type { Album, BulkResult, Download } from '../types';
import { parseTrackLines } from './parse-lines';

type Mode = 'track' | 'list' | 'album';

const value = (form: HTMLFormElement, name: string): string =>
  (
    (form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement | null)?.value ?? ''
  ).trim();

/** Add a track, a pasted list of "Artist - Title" lines, or an album. Errors are the API's words. */
export function AddPanel({ onClose }: { onClose(): void }) {
  const [mode, setMode] = useState<Mode>('track');
  const [error, setError] = useState<string | null>(null);
  const [notes, setNotes] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(null);
    setNotes([]);
    setBusy(true);
    try {
      if (mode === 'track') {
        const album = value(form, 'album');
        const d = await api.send<Download>('POST', '/api/downloads', {
          artist: value(form, 'artist'),
          title: value(form, 'title'),
          ...(album ? { album } : {}),
        });
        showToast('info', 'Added', `${d.artist} – ${d.title}`);
        form.reset();
      } else if (mode === 'list') {
        const parsed = parseTrackLines(value(form, 'lines'));
        const lineNotes = parsed.errors.map((x) => `Line ${x.line}: ${x.reason} (${x.text})`);
        if (parsed.tracks.length === 0) {
          setNotes(lineNotes);
          setError('No "Artist - Title" lines to add.');
          return;
        }
        const r = await api.send<BulkResult>('POST', '/api/downloads/bulk', {
          items: parsed.tracks,
        });
        setNotes([
          `${r.created} added, ${r.existing} already in the queue, ${r.duplicate} repeated, ${r.rejected} rejected`,
          ...lineNotes,
        ]);
        if (parsed.errors.length === 0) form.reset();
      } else {
        const year = value(form, 'year');
        const a = await api.send<Album>('POST', '/api/albums', {
          artist: value(form, 'artist'),
          album: value(form, 'album'),
          ...(year ? { year: Number(year) } : {}),
        });
        showToast('info', 'Album added', `${a.artist} – ${a.album}`);
        form.reset();
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="card add-panel" aria-label="Add downloads">
      <div class="tabs" role="tablist">
        {(['track', 'list', 'album'] as const).map((m) => (
          <button
            key={m}
            type="button"
            role="tab"
            aria-selected={mode === m}
            data-testid={`add-mode-${m}`}
            onClick={() => {
              setMode(m);
              setError(null);
              setNotes([]);
            }}
          >
            {m === 'track' ? 'Track' : m === 'list' ? 'Paste a list' : 'Album'}
          </button>
        ))}
        <button type="button" class="link-button close" onClick={onClose} aria-label="Close">
          ×
        </button>
      </div>
      <form data-testid="add-form" data-mode={mode} onSubmit={(e) => void submit(e)}>
        {mode === 'track' && (
          <div class="form-row">
            <input name="artist" placeholder="Artist" aria-label="Artist" required autofocus />
            <input name="title" placeholder="Title" aria-label="Title" required />
            <input name="album" placeholder="Album (optional)" aria-label="Album" />
          </div>
        )}
        {mode === 'list' && (
          <textarea
            name="lines"
            rows={6}
            aria-label="Tracks, one per line"
            placeholder={'Artist - Title\nArtist - Title'}
            autofocus
          />
        )}
        {mode === 'album' && (
          <div class="form-row">
            <input name="artist" placeholder="Artist" aria-label="Artist" required autofocus />
            <input name="album" placeholder="Album" aria-label="Album" required />
            <input
              name="year"
              type="number"
              min={1}
              max={9999}
              placeholder="Year"
              aria-label="Year"
              class="narrow"
            />
          </div>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="add-submit">
          Add
        </button>
        {error && (
          <p class="error" role="alert" data-testid="add-error">
            {error}
          </p>
        )}
        {notes.length > 0 && (
          <ul class="small" data-testid="add-notes">
            {notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        )}
      </form>
    </section>
  );
}
