import type { Outcome } from './exit-codes.js';

/** The fields of a Download (GET /api/downloads/{id}, SSE download.updated) the CLI shows. */
export interface DownloadView {
  id: string;
  status: string;
  artist: string;
  title: string;
  album?: string | null;
  progress: number;
  bytesTransferred: number;
  size: number | null;
  queuePosition: number | null;
  errorCode: string | null;
  errorMessage: string | null;
  libraryPath: string | null;
  updatedAt: string;
  source?: { username: string; filename: string } | null;
}

/** SSE download.progress: only a transfer's numbers moved. */
export interface ProgressDelta {
  id: string;
  progress: number;
  bytesTransferred: number;
  queuePosition: number | null;
  updatedAt: string;
  speed?: number;
}

export interface Tracked extends DownloadView {
  /** Bytes/s: the daemon's figure when it gives one, else measured from the deltas. */
  speed: number | null;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** Statuses in which a transfer slot works on the track: they get a progress bar. */
export const ACTIVE = new Set(['searching', 'queued', 'downloading', 'processing']);

export interface StatusChange {
  item: Tracked;
  from: string | null;
}

/**
 * The tracks a command follows, fed with snapshots and progress deltas in whatever order they
 * arrive: an older snapshot (updatedAt before the one held) never rolls a track back.
 */
export class Tracker {
  private readonly items = new Map<string, Tracked>();
  private readonly order: string[] = [];

  constructor(private readonly followAll = false) {}

  /** Starts following a track (its state arrives later); no-op when followed already. */
  follow(id: string, artist: string, title: string): void {
    if (this.items.has(id)) return;
    this.order.push(id);
    this.items.set(id, {
      id,
      status: 'waiting',
      artist,
      title,
      progress: 0,
      bytesTransferred: 0,
      size: null,
      queuePosition: null,
      errorCode: null,
      errorMessage: null,
      libraryPath: null,
      updatedAt: '',
      speed: null,
    });
  }

  has(id: string): boolean {
    return this.items.has(id);
  }

  get(id: string): Tracked | undefined {
    return this.items.get(id);
  }

  /** A whole Download: returns the status change it makes, or null (none, stale, not followed). */
  applyDownload(d: DownloadView): StatusChange | null {
    let item = this.items.get(d.id);
    if (!item) {
      if (!this.followAll) return null;
      this.follow(d.id, d.artist, d.title);
      item = this.items.get(d.id) as Tracked;
      const fresh = { ...item, ...pick(d) };
      this.items.set(d.id, fresh);
      return { item: fresh, from: null };
    }
    if (item.updatedAt !== '' && d.updatedAt < item.updatedAt) return null;
    const from = item.updatedAt === '' ? null : item.status;
    const next: Tracked = {
      ...item,
      ...pick(d),
      speed: d.status === 'downloading' ? item.speed : null,
    };
    this.items.set(d.id, next);
    return from === next.status ? null : { item: next, from };
  }

  /** A progress delta; true when it moved a followed track. */
  applyProgress(p: ProgressDelta): boolean {
    const item = this.items.get(p.id);
    if (!item || TERMINAL.has(item.status)) return false;
    if (item.updatedAt !== '' && p.updatedAt < item.updatedAt) return false;
    const dt = (Date.parse(p.updatedAt) - Date.parse(item.updatedAt)) / 1000;
    const measured = dt > 0 ? (p.bytesTransferred - item.bytesTransferred) / dt : null;
    this.items.set(p.id, {
      ...item,
      progress: p.progress,
      bytesTransferred: p.bytesTransferred,
      queuePosition: p.queuePosition,
      updatedAt: p.updatedAt,
      speed: p.speed ?? (measured !== null && measured >= 0 ? measured : item.speed),
    });
    return true;
  }

  list(): Tracked[] {
    return this.order.map((id) => this.items.get(id) as Tracked);
  }

  unfinishedIds(): string[] {
    return this.order.filter((id) => !TERMINAL.has((this.items.get(id) as Tracked).status));
  }

  allDone(): boolean {
    return this.unfinishedIds().length === 0;
  }

  outcome(interrupted: boolean): Outcome {
    const o: Outcome = { completed: 0, failed: 0, cancelled: 0, unfinished: 0, interrupted };
    for (const item of this.items.values()) {
      if (item.status === 'completed') o.completed++;
      else if (item.status === 'failed') o.failed++;
      else if (item.status === 'cancelled') o.cancelled++;
      else o.unfinished++;
    }
    return o;
  }
}

function pick(d: DownloadView): DownloadView {
  return {
    id: d.id,
    status: d.status,
    artist: d.artist,
    title: d.title,
    album: d.album ?? null,
    progress: d.progress,
    bytesTransferred: d.bytesTransferred,
    size: d.size,
    queuePosition: d.queuePosition,
    errorCode: d.errorCode,
    errorMessage: d.errorMessage,
    libraryPath: d.libraryPath,
    updatedAt: d.updatedAt,
    source: d.source ? { username: d.source.username, filename: d.source.filename } : null,
  };
}
