/**
 * The Albums page: albums newest first (GET /api/albums, keyset "Load more") with progress and
 * status, kept current from album events; /albums/<id> shows one album's tracks; an add form
 * (POST /api/albums); cancel and retry per album.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, apiPath, errorText } from '../api';
import { subscribe } from '../events';
import { navigate, onLinkClick, route } from '../router';
import type { Album, QualityProfile } from '../types';
import { formatTime } from './shared/format';
import { Badge, ErrorLine, TableBox } from './shared/ui';
import { albumActions, albumBody, albumProgress, type AlbumForm } from './albums/album-form';
import { upsertFirst } from './history/history-query';
import './pages.css';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function AlbumsPage() {
  const id = route.value.rest[0];
  return id && UUID.test(id) ? <AlbumDetail id={id} /> : <AlbumList />;
}

function useAlbumCommand(onDone: (a: Album) => void) {
  const [error, setError] = useState<string | null>(null);
  const run = async (album: Album, action: 'cancel' | 'retry') => {
    setError(null);
    try {
      onDone(await api.send<Album>('POST', apiPath`/api/albums/${album.id}/${action}`));
    } catch (e) {
      setError(errorText(e));
    }
  };
  return { error, run };
}

function AlbumList() {
  const [items, setItems] = useState<Album[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const upsert = (a: Album) => setItems((old) => upsertFirst(old, { ...a, tracks: undefined }));
  const command = useAlbumCommand(upsert);

  const load = useCallback(async (from: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.get<{ items: Album[]; nextCursor: string | null }>('/api/albums', {
        limit: 50,
        cursor: from,
      });
      setItems((old) => (from ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(null);
    const off = [subscribe('album.updated', upsert), subscribe('album.completed', upsert)];
    return () => off.forEach((f) => f());
  }, [load]);

  return (
    <section class="page" data-testid="page-albums">
      <div class="page-head">
        <h1>Albums</h1>
      </div>
      <AddAlbum onAdded={upsert} />
      <ErrorLine error={error ?? command.error} testid="albums-error" />
      <TableBox testid="albums-table">
        <thead>
          <tr>
            <th>Artist</th>
            <th>Album</th>
            <th class="num">Year</th>
            <th>Status</th>
            <th>Progress</th>
            <th>Folder</th>
            <th>Requested</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <AlbumRow key={a.id} album={a} onCommand={(act) => void command.run(a, act)} />
          ))}
          {items.length === 0 && !loading && (
            <tr>
              <td colSpan={8} class="muted">
                No albums yet.
              </td>
            </tr>
          )}
        </tbody>
      </TableBox>
      <div class="form-actions">
        {cursor && (
          <button type="button" disabled={loading} onClick={() => void load(cursor)}>
            Load more
          </button>
        )}
        <span class="muted small">{loading ? 'Loading…' : `${items.length} shown`}</span>
      </div>
    </section>
  );
}

function Progress({ album }: { album: Album }) {
  const p = albumProgress(album);
  return (
    <span class="nowrap">
      <progress class="bar" max={Math.max(1, p.total)} value={p.done} /> {p.done}/{p.total}
    </span>
  );
}

function AlbumRow({
  album: a,
  onCommand,
}: {
  album: Album;
  onCommand: (action: 'cancel' | 'retry') => void;
}) {
  const can = albumActions(a);
  return (
    <tr data-testid="album-row" data-id={a.id} data-status={a.status}>
      <td class="wrap">{a.artist}</td>
      <td class="wrap">
        <a href={`/albums/${a.id}`} onClick={onLinkClick}>
          {a.album}
        </a>
      </td>
      <td class="num">{a.year ?? ''}</td>
      <td>
        <Badge value={a.status} />
        {a.folderSearch.error && <div class="small error">{a.folderSearch.error}</div>}
      </td>
      <td>
        <Progress album={a} />
      </td>
      <td class="wrap small">{a.folder ? `${a.folder.username}: ${a.folder.directory}` : '—'}</td>
      <td>{formatTime(a.createdAt)}</td>
      <td class="nowrap">
        <button type="button" disabled={!can.cancel} onClick={() => onCommand('cancel')}>
          Cancel
        </button>{' '}
        <button type="button" disabled={!can.retry} onClick={() => onCommand('retry')}>
          Retry
        </button>
      </td>
    </tr>
  );
}

function AlbumDetail({ id }: { id: string }) {
  const [album, setAlbum] = useState<Album | null>(null);
  const [error, setError] = useState<string | null>(null);
  const command = useAlbumCommand(setAlbum);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = () =>
      api.get<Album>(apiPath`/api/albums/${id}`).then(
        (a) => live && setAlbum(a),
        (e: unknown) => live && setError(errorText(e)),
      );
    void load();
    // Album events carry no tracks: reload the tracks, at most twice a second.
    const later = (a: Album) => {
      if (a.id !== id || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void load();
      }, 500);
    };
    const off = [subscribe('album.updated', later), subscribe('album.completed', later)];
    return () => {
      live = false;
      clearTimeout(timer);
      off.forEach((f) => f());
    };
  }, [id]);

  const can = album ? albumActions(album) : { cancel: false, retry: false };
  return (
    <section class="page" data-testid="page-album">
      <div class="page-head">
        <a href="/albums" onClick={onLinkClick}>
          ← Albums
        </a>
        <h1>{album ? `${album.artist} – ${album.album}` : 'Album'}</h1>
        {album && <Badge value={album.status} />}
      </div>
      <ErrorLine error={error ?? command.error} testid="album-error" />
      {album && (
        <>
          <div class="toolbar">
            <Progress album={album} />
            <button
              type="button"
              disabled={!can.cancel}
              data-testid="album-cancel"
              onClick={() => void command.run(album, 'cancel')}
            >
              Cancel unfinished
            </button>
            <button
              type="button"
              disabled={!can.retry}
              data-testid="album-retry"
              onClick={() => void command.run(album, 'retry')}
            >
              Retry failed
            </button>
          </div>
          {album.folder && (
            <p class="small muted wrap">
              Folder: {album.folder.username} — {album.folder.directory}
              {album.folder.fileCount !== null ? ` (${album.folder.fileCount} files)` : ''}
            </p>
          )}
          <TableBox testid="album-tracks">
            <thead>
              <tr>
                <th class="num">Disc</th>
                <th class="num">#</th>
                <th>Title</th>
                <th>Status</th>
                <th>Source</th>
                <th>Error / library path</th>
              </tr>
            </thead>
            <tbody>
              {album.tracks?.map((t) => (
                <tr key={t.downloadId} data-testid="album-track" data-status={t.status}>
                  <td class="num">{t.discNumber ?? ''}</td>
                  <td class="num">{t.trackNumber ?? ''}</td>
                  <td class="wrap">
                    <a href={`/queue/${t.downloadId}`} onClick={onLinkClick}>
                      {t.title}
                    </a>
                  </td>
                  <td>
                    <Badge value={t.status} />
                  </td>
                  <td class="wrap small">
                    {t.source ? `${t.source.username}: ${t.source.filename}` : '—'}
                    {t.source && !t.fromFolder && <span class="muted"> (other folder)</span>}
                  </td>
                  <td class="wrap small">
                    {t.status === 'completed' ? (
                      (t.libraryPath ?? '')
                    ) : (
                      <span class="error">
                        {[t.errorCode, t.errorMessage].filter(Boolean).join(': ')}
                      </span>
                    )}
                  </td>
                </tr>
              ))}
              {album.tracks?.length === 0 && (
                <tr>
                  <td colSpan={6} class="muted">
                    {album.status === 'searching' ? 'Looking for a folder…' : 'No tracks.'}
                  </td>
                </tr>
              )}
            </tbody>
          </TableBox>
        </>
      )}
    </section>
  );
}

const EMPTY: AlbumForm = { artist: '', album: '', year: '', tracks: '', qualityProfileId: '' };

function AddAlbum({ onAdded }: { onAdded: (a: Album) => void }) {
  const [open, setOpen] = useState(false);
  const [form, setForm] = useState<AlbumForm>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof AlbumForm, string>>>({});
  const [apiError, setApiError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [profiles, setProfiles] = useState<QualityProfile[]>([]);

  useEffect(() => {
    if (!open) return;
    api.get<{ items: QualityProfile[] }>('/api/quality-profiles').then(
      (r) => setProfiles(r.items),
      () => setProfiles([]),
    );
  }, [open]);

  if (!open)
    return (
      <div class="toolbar">
        <button
          type="button"
          class="primary"
          data-testid="album-add-open"
          onClick={() => setOpen(true)}
        >
          Add an album
        </button>
      </div>
    );

  const submit = async (e: Event) => {
    e.preventDefault();
    setApiError(null);
    const parsed = albumBody(form);
    if (!parsed.ok) return setErrors(parsed.errors);
    setErrors({});
    setBusy(true);
    try {
      const album = await api.send<Album>('POST', '/api/albums', parsed.body);
      onAdded(album);
      setForm(EMPTY);
      setOpen(false);
      navigate(`/albums/${album.id}`);
    } catch (err) {
      setApiError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const set = (key: keyof AlbumForm) => (e: Event) =>
    setForm({ ...form, [key]: (e.currentTarget as HTMLInputElement).value });
  const err = (key: keyof AlbumForm) =>
    errors[key] && (
      <p class="error" data-testid={`album-error-${key}`}>
        {errors[key]}
      </p>
    );

  return (
    <form class="card section" data-testid="album-form" onSubmit={(e) => void submit(e)} noValidate>
      <div class="form-grid">
        <label class={errors.artist ? 'field invalid' : 'field'}>
          <span class="label">Artist</span>
          <input name="artist" value={form.artist} onInput={set('artist')} required />
          {err('artist')}
        </label>
        <label class={errors.album ? 'field invalid' : 'field'}>
          <span class="label">Album</span>
          <input name="album" value={form.album} onInput={set('album')} required />
          {err('album')}
        </label>
        <label class={errors.year ? 'field invalid' : 'field'}>
          <span class="label">Year</span>
          <input name="year" inputMode="numeric" value={form.year} onInput={set('year')} />
          {err('year')}
        </label>
        <label class="field">
          <span class="label">Quality profile</span>
          <select
            name="qualityProfileId"
            value={form.qualityProfileId}
            onChange={set('qualityProfileId')}
          >
            <option value="">The default</option>
            {profiles.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label class={errors.tracks ? 'field wide invalid' : 'field wide'}>
          <span class="label">Tracks, one a line ("1. Title"); empty: the best folder's files</span>
          <textarea name="tracks" rows={5} value={form.tracks} onInput={set('tracks')} />
          {err('tracks')}
        </label>
      </div>
      <div class="form-actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Searching…' : 'Request album'}
        </button>
        <button type="button" onClick={() => setOpen(false)}>
          Close
        </button>
      </div>
      <ErrorLine error={apiError} testid="album-form-error" />
    </form>
  );
}
