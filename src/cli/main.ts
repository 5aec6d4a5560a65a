import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError } from './client.js';
import { connect, type Connection } from './connect.js';
import type { CommandResult, Context } from './context.js';
import { exitCode, type ExitKind } from './exit-codes.js';
import { colourEnabled, printable } from './format.js';
import { barReporter, plainReporter, silentReporter } from './report.js';
import { getCommand, prepareGet } from './commands/get.js';
import { checkQueueOptions, queueCommand } from './commands/queue.js';
import { watchCommand } from './commands/watch.js';
import { ACTIONS, checkIds, controlCommand } from './commands/control.js';
import { searchCommand, searchQuery } from './commands/search.js';
import { statusCommand } from './commands/status.js';

interface GlobalOptions {
  url?: string;
  apiKey?: string;
  standalone?: boolean;
  json?: boolean;
  color: boolean;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
}

const int =
  (name: string) =>
  (value: string): number => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
    return Number(value);
  };

/** Runs the CLI with these arguments (without node and the script) and returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const wantsJson = argv.includes('--json');
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    // The first Ctrl-C ends the command cleanly (summary, standalone stopped); a second one now.
    if (interrupts > 1) process.exit(exitCode('interrupted'));
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let result: CommandResult | null = null;
  let connection: Connection | null = null;
  const fail = (kind: ExitKind, message: string): number => {
    if (wantsJson) io.stdout.write(`${JSON.stringify({ ok: false, error: { kind, message } })}\n`);
    // The server's words may quote a peer's file name: no control character reaches the terminal
    // (a stack trace keeps its line breaks).
    io.stderr.write(`soulspot: ${message.split('\n').map(printable).join('\n')}\n`);
    return exitCode(kind);
  };

  const program = new Command('soulspot')
    .description('SoulSpot from the command line: ask for tracks, follow them, manage the queue')
    .addOption(
      new Option(
        '--url <url>',
        'a running SoulSpot (default: SOULSPOT_URL, else the local configuration)',
      ),
    )
    .addOption(
      new Option(
        '--api-key <key>',
        'its API key (default: SOULSPOT_API_KEY, else the local key file)',
      ),
    )
    .option(
      '--standalone',
      'start SoulSpot in this process with the configured slskd, stopped at the end',
    )
    .option('--no-standalone', 'never start SoulSpot here: fail when no server answers')
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('--no-color', 'no colours (NO_COLOR does the same)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // Commander's own errors are reported by fail() below.
      writeErr: (s) => (s.startsWith('error:') ? undefined : io.stderr.write(s)),
    })
    .showHelpAfterError(false);

  /** Connects (or starts standalone), runs the command, and keeps its result. */
  const action =
    <T>(check: () => T | Promise<T>, run: (ctx: Context, checked: T) => Promise<CommandResult>) =>
    async (): Promise<void> => {
      // Arguments and files are checked before anything connects (or starts standalone).
      const checked = await check();
      const g = program.opts<GlobalOptions>();
      const json = g.json === true;
      const tty = io.stdout.isTTY === true;
      const colour = !json && colourEnabled({ isTTY: tty, env: io.env, flag: g.color });
      connection = await connect({
        ...(g.url !== undefined ? { url: g.url } : {}),
        ...(g.apiKey !== undefined ? { apiKey: g.apiKey } : {}),
        ...(g.standalone !== undefined ? { standalone: g.standalone } : {}),
        env: io.env,
        say: (line) => io.stderr.write(`${line}\n`),
      });
      const out = { write: (t: string) => void io.stdout.write(t) };
      result = await run(
        {
          client: connection.client,
          out,
          err: { write: (t: string) => void io.stderr.write(t) },
          json,
          colour,
          reporter: () =>
            json ? silentReporter() : tty ? barReporter(io.stdout, colour) : plainReporter(out),
          signal: controller.signal,
        },
        checked,
      );
    };

  program
    .command('get')
    .description('ask for tracks and follow them until each is in the library (or failed)')
    .argument('[tracks...]', '"Artist - Title", one or more')
    .option(
      '-f, --file <playlist>',
      'a playlist: .csv (artist,title,album,duration), .txt ("Artist - Title" lines), .m3u/.m3u8',
    )
    .option('-a, --album <album>', 'a whole album: "Artist - Album"')
    .option('--no-wait', 'queue them and exit without following')
    .option('--priority <n>', 'priority, -1000 to 1000 (higher first)', int('--priority'))
    .option('--profile <id>', 'a quality profile id (default: the default profile)')
    .action(
      (
        tracks: string[],
        opts: { file?: string; album?: string; wait: boolean; priority?: number; profile?: string },
      ) =>
        action(
          () => prepareGet(tracks, opts),
          (ctx, request) => getCommand(ctx, request, opts),
        )(),
    );

  program
    .command('queue')
    .description('list downloads')
    .option('-s, --status <list>', 'only these statuses, comma-separated (e.g. failed,waiting)')
    .option('-q, --q <text>', 'only those whose artist, title or album contains this')
    .option('-n, --limit <n>', 'at most this many (1-500)', int('--limit'), 50)
    .option('--all', 'every page, not just the first')
    .option('--order <order>', 'newest, oldest or queue', 'newest')
    .action((opts: { status?: string; q?: string; limit: number; all?: boolean; order: string }) =>
      action(
        () => checkQueueOptions({ ...opts, all: opts.all === true }),
        (ctx) => queueCommand(ctx, { ...opts, all: opts.all === true }),
      )(),
    );

  program
    .command('watch')
    .description('live progress of every download, from the event stream')
    .option('--until-idle', 'exit once nothing is left unfinished')
    .option(
      '--json-lines',
      'print each status change as a JSON line as it happens (not with --json)',
    )
    .action((opts: { untilIdle?: boolean; jsonLines?: boolean }) =>
      action(
        () => {
          if (opts.jsonLines && wantsJson)
            throw new CliError(
              'usage',
              '--json-lines streams, --json prints one document at the end: give one of them',
            );
        },
        (ctx) =>
          watchCommand(ctx, {
            untilIdle: opts.untilIdle === true,
            jsonLines: opts.jsonLines === true,
          }),
      )(),
    );

  for (const name of ACTIONS) {
    program
      .command(name)
      .description(`${name} downloads by id (one batch request)`)
      .argument('<ids...>', 'download ids, as "soulspot queue" shows them')
      .action((ids: string[]) =>
        action(
          () => checkIds(name, ids),
          (ctx, unique) => controlCommand(ctx, name, unique),
        )(),
      );
  }

  program
    .command('search')
    .description('search Soulseek by hand: ranked results with the reasons for each score')
    .argument('<query...>', 'the words to search for')
    .option('-n, --limit <n>', 'results to show (1-200)', int('--limit'), 20)
    .option('--rejected', 'list the rejected files with the reason too')
    .option('--profile <id>', 'rank with this quality profile')
    .action((words: string[], opts: { limit: number; rejected?: boolean; profile?: string }) => {
      const search = {
        limit: opts.limit,
        rejected: opts.rejected === true,
        ...(opts.profile ? { profile: opts.profile } : {}),
      };
      return action(
        () => searchQuery(words, search),
        (ctx, query) => searchCommand(ctx, query, search),
      )();
    });

  program
    .command('status')
    .description("SoulSpot's health: providers, checks, queue")
    .action(() =>
      action(
        () => undefined,
        (ctx) => statusCommand(ctx),
      )(),
    );

  try {
    if (argv.length === 0) {
      program.outputHelp();
      return exitCode('usage');
    }
    await program.parseAsync(argv, { from: 'user' });
    const done = result as CommandResult | null;
    if (!done) return exitCode('ok');
    if (wantsJson) io.stdout.write(`${JSON.stringify(done.json)}\n`);
    return exitCode(done.exit);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return exitCode('ok');
      return fail('usage', error.message.replace(/^error: /, ''));
    }
    if (error instanceof CliError) return fail(error.kind, error.message);
    return fail('unreachable', `unexpected error: ${(error as Error).stack ?? String(error)}`);
  } finally {
    process.off('SIGINT', onSigint);
    const open = connection as Connection | null;
    if (open) await open.close().catch(() => undefined);
  }
}
