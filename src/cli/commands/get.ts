import { readFile } from 'node:fs/promises';
import { CliError } from '../client.js';
import type { CommandResult, Context } from '../context.js';
import { outcomeExit } from '../exit-codes.js';
import { createFollower } from '../follow.js';
import { printable, trackName } from '../format.js';
import { parsePlaylist, playlistKind, type TrackRequest } from '../playlist.js';
import { reason } from '../report.js';
import { notArtistTitle, splitArtistTitle } from '../track-line.js';
import { TERMINAL, Tracker, type Tracked } from '../tracker.js';

export interface GetOptions {
  file?: string;
  album?: string;
  wait: boolean;
  priority?: number;
  profile?: string;
}

interface BulkAnswer {
  created: number;
  existing: number;
  duplicate: number;
  rejected: number;
  items: Array<{
    index: number;
    result: string;
    id: string | null;
    status: string | null;
    duplicateOf?: number;
  }>;
}

interface AlbumAnswer {
  id: string;
  artist: string;
  album: string;
  status: string;
  folderSearch: { state: string; error: string | null };
  tracks?: Array<{ downloadId: string; title: string }>;
}

const ALBUM_ENDS = new Set(['completed', 'partial', 'failed', 'cancelled', 'empty']);

/** The tracks a `get` names: its arguments, or a playlist file. Usage errors list every bad line. */
export async function tracksToGet(args: string[], opts: GetOptions): Promise<TrackRequest[]> {
  if (opts.file !== undefined) {
    if (args.length > 0) throw new CliError('usage', 'give tracks or --file, not both');
    const kind = playlistKind(opts.file);
    if (!kind)
      throw new CliError(
        'usage',
        `${opts.file}: not a playlist the CLI reads (.csv, .txt, .m3u, .m3u8)`,
      );
    let text: string;
    try {
      text = await readFile(opts.file, 'utf8');
    } catch (error) {
      throw new CliError('usage', `cannot read ${opts.file}: ${(error as Error).message}`);
    }
    const playlist = parsePlaylist(text, kind);
    if (playlist.problems.length > 0) {
      const lines = playlist.problems.slice(0, 20).map((p) => `  line ${p.line}: ${p.message}`);
      const more =
        playlist.problems.length > 20 ? `\n  … and ${playlist.problems.length - 20} more` : '';
      throw new CliError(
        'usage',
        `${opts.file} has lines the CLI cannot read:\n${lines.join('\n')}${more}`,
      );
    }
    if (playlist.tracks.length === 0) throw new CliError('usage', `${opts.file} names no tracks`);
    return playlist.tracks;
  }
  if (args.length === 0)
    throw new CliError('usage', 'name a track ("Artist - Title"), --file or --album');
  return args.map((a) => {
    const t = splitArtistTitle(a);
    if (!t) throw new CliError('usage', notArtistTitle(a));
    return t;
  });
}

/** What a `get` asks for, read and checked before anything is sent. */
export type GetRequest = { album: { artist: string; album: string } } | { tracks: TrackRequest[] };

export async function prepareGet(args: string[], opts: GetOptions): Promise<GetRequest> {
  if (opts.priority !== undefined && (opts.priority < -1000 || opts.priority > 1000))
    throw new CliError('usage', '--priority must be from -1000 to 1000');
  if (opts.album === undefined) return { tracks: await tracksToGet(args, opts) };
  if (args.length > 0 || opts.file !== undefined)
    throw new CliError('usage', 'give --album alone, without tracks or --file');
  const named = splitArtistTitle(opts.album);
  if (!named) throw new CliError('usage', `--album "${opts.album}" is not "Artist - Album"`);
  return { album: { artist: named.artist, album: named.title } };
}

export async function getCommand(
  ctx: Context,
  request: GetRequest,
  opts: GetOptions,
): Promise<CommandResult> {
  if ('album' in request) return getAlbum(ctx, request.album, opts);
  const { tracks } = request;
  const tracker = new Tracker();
  const reporter = ctx.reporter();
  const follower = createFollower(ctx.client, tracker, reporter);
  try {
    if (opts.wait) await follower.ready;
    const extra = {
      ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
      ...(opts.profile !== undefined ? { qualityProfileId: opts.profile } : {}),
    };
    const answer = await ctx.client.request<BulkAnswer>(
      'POST',
      '/api/downloads/bulk',
      {
        items: tracks.map((t) => ({ ...t, ...extra })),
      },
      120_000,
    );
    const ids = answer.items.map(
      (item) =>
        item.id ??
        (item.duplicateOf !== undefined ? (answer.items[item.duplicateOf]?.id ?? null) : null),
    );
    tracks.forEach((t, i) => {
      const id = ids[i];
      if (id) tracker.follow(id, t.artist, t.title);
    });
    const rejected = tracks.filter((_, i) => !ids[i]);
    reporter.note(acceptedLine(answer, tracks.length));
    if (opts.wait) {
      await follower.refresh([...new Set(ids.filter((id): id is string => id !== null))]);
      await follower.until(() => tracker.allDone(), ctx.signal);
    }
    reporter.stop();
    return summarize(ctx, tracks, ids, tracker, rejected, opts.wait);
  } finally {
    reporter.stop();
    follower.close();
  }
}

function acceptedLine(a: BulkAnswer, total: number): string {
  const parts = [`${a.created} new`];
  if (a.existing) parts.push(`${a.existing} already queued`);
  if (a.duplicate) parts.push(`${a.duplicate} repeated in the list`);
  if (a.rejected) parts.push(`${a.rejected} refused (queue full)`);
  return `${total} track${total === 1 ? '' : 's'} asked for: ${parts.join(', ')}`;
}

function summarize(
  ctx: Context,
  tracks: TrackRequest[],
  ids: Array<string | null>,
  tracker: Tracker,
  rejected: TrackRequest[],
  waited: boolean,
): CommandResult {
  const outcome = tracker.outcome(ctx.signal.aborted);
  outcome.failed += rejected.length;
  const exit = waited ? outcomeExit(outcome) : rejected.length > 0 ? 'someFailed' : 'ok';
  const items = tracks.map((t, i) => {
    const id = ids[i] ?? null;
    const item = id ? tracker.get(id) : undefined;
    return {
      artist: t.artist,
      title: t.title,
      id,
      status: item?.status ?? (id ? 'waiting' : 'rejected'),
      errorCode: item?.errorCode ?? (id ? null : 'queue_full'),
      errorMessage: item?.errorMessage ?? (id ? null : 'the queue is full'),
      libraryPath: item?.libraryPath ?? null,
    };
  });
  if (!ctx.json) ctx.out.write(summaryText(tracker.list(), rejected, outcome, waited));
  return {
    exit,
    json: {
      ok: exit === 'ok',
      summary: { requested: tracks.length, ...outcome, interrupted: undefined },
      items,
    },
  };
}

/** The end of a run: counts, then each track that did not make it, with why. */
export function summaryText(
  items: Tracked[],
  rejected: TrackRequest[],
  o: { completed: number; failed: number; cancelled: number; unfinished: number },
  waited: boolean,
): string {
  if (!waited)
    return `Queued ${items.length} track${items.length === 1 ? '' : 's'} (not waiting: follow them with "soulspot watch")\n`;
  const lines = [
    `Summary: ${o.completed} completed, ${o.failed} failed, ${o.cancelled} cancelled${o.unfinished ? `, ${o.unfinished} unfinished` : ''}`,
  ];
  for (const item of items)
    if (item.status === 'failed' || item.status === 'cancelled')
      lines.push(`  ${item.status} ${trackName(item)}${reason(item)}`);
    else if (!TERMINAL.has(item.status)) lines.push(`  ${item.status} ${trackName(item)}`);
  for (const t of rejected)
    lines.push(`  refused ${printable(`${t.artist} - ${t.title}`)}: the queue is full`);
  return `${lines.join('\n')}\n`;
}

async function getAlbum(
  ctx: Context,
  named: { artist: string; album: string },
  opts: GetOptions,
): Promise<CommandResult> {
  const tracker = new Tracker();
  const reporter = ctx.reporter();
  let album: AlbumAnswer | null = null;
  let reloading: Promise<void> | null = null;
  const reload = async (): Promise<void> => {
    if (!album) return;
    album = await ctx.client.request<AlbumAnswer>('GET', `/api/albums/${album.id}`);
    const fresh = (album.tracks ?? []).filter((t) => !tracker.has(t.downloadId));
    for (const t of fresh) tracker.follow(t.downloadId, named.artist, t.title);
    if (fresh.length > 0) await follower.refresh(fresh.map((t) => t.downloadId));
    follower.wake();
  };
  const follower = createFollower(ctx.client, tracker, reporter, {
    onEvent: (e) => {
      if (
        (e.event === 'album.updated' || e.event === 'album.completed') &&
        album &&
        e.data.includes(album.id)
      )
        reloading = reload().catch(() => undefined);
    },
  });
  try {
    if (opts.wait) await follower.ready;
    album = await ctx.client.request<AlbumAnswer>('POST', '/api/albums', {
      artist: named.artist,
      album: named.album,
      ...(opts.profile !== undefined ? { qualityProfileId: opts.profile } : {}),
    });
    reporter.note(
      `Album ${printable(`${album.artist} - ${album.album}`)}: ${album.tracks?.length ?? 0} tracks so far, looking for its folder`,
    );
    if (opts.wait) {
      await reload();
      const ended = (): boolean =>
        album !== null && ALBUM_ENDS.has(album.status) && tracker.allDone();
      // The album's own status comes from album.updated events; its tracks' from the follower.
      const poll = setInterval(() => void reload().catch(() => undefined), 5_000);
      try {
        await follower.until(ended, ctx.signal);
      } finally {
        clearInterval(poll);
      }
      await reloading;
    }
    reporter.stop();
    const current = album as AlbumAnswer;
    const outcome = tracker.outcome(ctx.signal.aborted);
    const searchFailed = current.folderSearch.state === 'failed' && tracker.list().length === 0;
    if (searchFailed) outcome.failed += 1;
    const exit = opts.wait ? outcomeExit(outcome) : 'ok';
    if (!ctx.json) {
      if (searchFailed)
        ctx.out.write(
          `Summary: album failed: ${printable(current.folderSearch.error ?? 'no folder has it')}\n`,
        );
      else ctx.out.write(summaryText(tracker.list(), [], outcome, opts.wait));
    }
    return {
      exit,
      json: {
        ok: exit === 'ok',
        album: {
          id: current.id,
          artist: current.artist,
          album: current.album,
          status: current.status,
          folderSearch: current.folderSearch,
        },
        summary: { requested: tracker.list().length, ...outcome, interrupted: undefined },
        items: tracker.list().map(jsonItem),
      },
    };
  } finally {
    reporter.stop();
    follower.close();
  }
}

const jsonItem = (t: Tracked) => ({
  artist: t.artist,
  title: t.title,
  id: t.id,
  status: t.status,
  errorCode: t.errorCode,
  errorMessage: t.errorMessage,
  libraryPath: t.libraryPath,
});
