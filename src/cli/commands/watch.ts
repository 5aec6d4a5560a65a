import type { CommandResult, Context } from '../context.js';
import { outcomeExit } from '../exit-codes.js';
import { createFollower } from '../follow.js';
import { jsonLinesReporter } from '../report.js';
import { Tracker, type DownloadView } from '../tracker.js';

const UNFINISHED = 'waiting,searching,queued,downloading,processing,paused,scheduled';

/**
 * `watch`: live progress of every download (those unfinished now and any that start), from the
 * event stream, until Ctrl-C; with --until-idle, until nothing is left unfinished. With
 * --json-lines, each status change is a JSON line on stdout as it happens, and the summary the last.
 */
export async function watchCommand(
  ctx: Context,
  opts: { untilIdle: boolean; jsonLines?: boolean },
): Promise<CommandResult> {
  const tracker = new Tracker(true);
  const reporter = opts.jsonLines ? jsonLinesReporter(ctx.out, ctx.err) : ctx.reporter();
  const follower = createFollower(ctx.client, tracker, reporter);
  try {
    await follower.ready;
    let cursor: string | null = null;
    do {
      const page: { items: DownloadView[]; nextCursor: string | null } = await ctx.client.request(
        'GET',
        `/api/downloads?status=${UNFINISHED}&order=queue&limit=500${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const d of page.items) {
        const change = tracker.applyDownload(d);
        if (change) reporter.change(change);
      }
      cursor = page.nextCursor;
    } while (cursor);
    reporter.note(
      `Watching ${tracker.unfinishedIds().length} unfinished downloads${opts.untilIdle ? ' until none is left' : ' (Ctrl-C stops)'}`,
    );
    await follower.until(() => opts.untilIdle && tracker.allDone(), ctx.signal);
    reporter.stop();
    const outcome = tracker.outcome(ctx.signal.aborted);
    if (opts.jsonLines)
      ctx.out.write(`${JSON.stringify({ type: 'summary', ...outcome, interrupted: undefined })}\n`);
    else if (!ctx.json)
      ctx.out.write(
        `Seen: ${outcome.completed} completed, ${outcome.failed} failed, ${outcome.cancelled} cancelled, ${outcome.unfinished} unfinished\n`,
      );
    // Without --until-idle, Ctrl-C is how watch ends: that is no failure.
    const exit = opts.untilIdle
      ? tracker.list().length === 0
        ? 'ok'
        : outcomeExit(outcome)
      : 'ok';
    return {
      exit,
      json: {
        summary: { ...outcome, interrupted: undefined },
        items: tracker.list().map((t) => ({
          id: t.id,
          artist: t.artist,
          title: t.title,
          status: t.status,
          errorCode: t.errorCode,
          errorMessage: t.errorMessage,
          libraryPath: t.libraryPath,
        })),
      },
    };
  } finally {
    reporter.stop();
    follower.close();
  }
}
