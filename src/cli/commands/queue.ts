import { CliError } from '../client.js';
import type { CommandResult, Context } from '../context.js';
import { formatBytes, paintStatus, printable, trackName } from '../format.js';
import { reason } from '../report.js';
import type { DownloadView } from '../tracker.js';

export const LIST_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'completed',
  'failed',
  'cancelled',
  'paused',
  'scheduled',
] as const;

export interface QueueOptions {
  status?: string;
  q?: string;
  limit: number;
  all: boolean;
  order: string;
}

/** `queue`: GET /api/downloads with the filters, one line per download (or all pages with --all). */
/** The filters, checked before anything is sent. */
export function checkQueueOptions(opts: QueueOptions): string[] {
  const statuses = opts.status
    ? opts.status
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  const bad = statuses.filter((s) => !(LIST_STATUSES as readonly string[]).includes(s));
  if (bad.length > 0)
    throw new CliError(
      'usage',
      `--status: unknown status ${bad.join(', ')} (one of ${LIST_STATUSES.join(', ')})`,
    );
  if (!['newest', 'oldest', 'queue'].includes(opts.order))
    throw new CliError('usage', `--order must be newest, oldest or queue, not "${opts.order}"`);
  if (opts.limit < 1 || opts.limit > 500)
    throw new CliError('usage', '--limit must be from 1 to 500');
  return statuses;
}

export async function queueCommand(ctx: Context, opts: QueueOptions): Promise<CommandResult> {
  const statuses = checkQueueOptions(opts);
  const items: DownloadView[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({
      limit: String(opts.all ? 500 : opts.limit),
      order: opts.order,
    });
    if (statuses.length > 0) params.set('status', statuses.join(','));
    if (opts.q) params.set('q', opts.q);
    if (cursor) params.set('cursor', cursor);
    const page: { items: DownloadView[]; nextCursor: string | null } = await ctx.client.request(
      'GET',
      `/api/downloads?${params.toString()}`,
    );
    items.push(...page.items);
    cursor = opts.all ? page.nextCursor : null;
  } while (cursor);
  if (!ctx.json) {
    if (items.length === 0) ctx.out.write('No downloads match.\n');
    for (const d of items) ctx.out.write(`${queueLine(d, ctx.colour)}\n`);
  }
  return { exit: 'ok', json: { items } };
}

/** `<id>  <status>  <progress>  Artist - Title  [size] [: error]` (pure). */
export function queueLine(d: DownloadView, colour: boolean): string {
  const pct = `${d.progress.toFixed(0)}%`.padStart(4);
  const size = d.size !== null ? `  ${formatBytes(d.size)}` : '';
  const where = d.status === 'completed' && d.libraryPath ? ` -> ${printable(d.libraryPath)}` : '';
  return `${d.id}  ${paintStatus(d.status, colour, 11)} ${pct}  ${trackName(d)}${size}${where}${reason(d)}`;
}
