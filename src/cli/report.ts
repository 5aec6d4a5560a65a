import cliProgress from 'cli-progress';
import {
  etaSeconds,
  formatBytes,
  formatEta,
  formatSpeed,
  paintStatus,
  printable,
  trackName,
} from './format.js';
import { ACTIVE, TERMINAL, type StatusChange, type Tracked } from './tracker.js';

/** Where a following command's progress goes: bars on a terminal, lines elsewhere, nothing for --json. */
export interface Reporter {
  change(c: StatusChange): void;
  progress(item: Tracked): void;
  /** A line of its own (above the bars on a terminal). */
  note(line: string): void;
  stop(): void;
}

export interface Output {
  write(text: string): void;
}

/** One line for a status change: what it is now, and why for an end (pure). */
export function statusLine(item: Tracked, colour: boolean): string {
  const name = trackName(item);
  const word = paintStatus(item.status, colour, 11);
  if (item.status === 'completed')
    return `${word} ${name}${item.libraryPath ? ` -> ${printable(item.libraryPath)}` : ''}`;
  if (item.status === 'failed' || item.status === 'cancelled')
    return `${word} ${name}${reason(item)}`;
  if (item.status === 'downloading' && item.source)
    return `${word} ${name} (from ${printable(item.source.username)}, ${formatBytes(item.size)})`;
  if (item.status === 'queued' && item.queuePosition !== null)
    return `${word} ${name} (place ${item.queuePosition} in the peer's queue)`;
  return `${word} ${name}`;
}

export function reason(item: Pick<Tracked, 'errorCode' | 'errorMessage'>): string {
  if (!item.errorCode && !item.errorMessage) return '';
  return `: ${[item.errorCode, item.errorMessage ? printable(item.errorMessage) : null].filter(Boolean).join(': ')}`;
}

/** Plain lines, one per state change: for pipes, files and CI logs (no bars, no escapes). */
export function plainReporter(out: Output, colour = false): Reporter {
  return {
    change: (c) => out.write(`${statusLine(c.item, colour)}\n`),
    progress: () => undefined,
    note: (line) => out.write(`${line}\n`),
    stop: () => undefined,
  };
}

/**
 * One JSON document a line on stdout for each status change (`watch --json-lines`: a script that
 * follows along reads each line as it comes, instead of one document at the end); notes go to
 * `notes` (stderr), so stdout stays JSON. Remote text is JSON-escaped, never interpreted.
 */
export function jsonLinesReporter(out: Output, notes: Output): Reporter {
  return {
    change: ({ item }) =>
      out.write(
        `${JSON.stringify({
          type: 'status',
          id: item.id,
          artist: item.artist,
          title: item.title,
          status: item.status,
          source: item.source?.username ?? null,
          errorCode: item.errorCode,
          errorMessage: item.errorMessage,
          libraryPath: item.libraryPath,
        })}\n`,
      ),
    progress: () => undefined,
    note: (line) => notes.write(`${line}\n`),
    stop: () => undefined,
  };
}

export const silentReporter = (): Reporter => ({
  change: () => undefined,
  progress: () => undefined,
  note: () => undefined,
  stop: () => undefined,
});

const NAME_WIDTH = 34;

/** A cli-progress multibar with a bar per track being worked on, its speed and ETA. */
export function barReporter(stream: NodeJS.WriteStream, colour: boolean): Reporter {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format: `{status} {name} |{bar}| {percentage}% {size} {speed} ETA {etaText}`,
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      fps: 8,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  let stopped = false;
  const payload = (item: Tracked) => ({
    status: paintStatus(item.status, colour, 11),
    name: fit(trackName(item), NAME_WIDTH),
    size: formatBytes(item.size).padStart(8),
    speed: formatSpeed(item.speed).padStart(10),
    etaText: formatEta(etaSeconds(item.size, item.bytesTransferred, item.speed)),
  });
  const update = (item: Tracked): void => {
    const bar = bars.get(item.id);
    if (bar) bar.update(Math.round(item.progress), payload(item));
  };
  return {
    change(c) {
      const { item } = c;
      if (TERMINAL.has(item.status)) {
        // Logged first: remove() redraws, which writes the log above the bars that are left.
        multibar.log(`${statusLine(item, colour)}\n`);
        const bar = bars.get(item.id);
        if (bar) {
          multibar.remove(bar);
          bars.delete(item.id);
        } else multibar.update();
        return;
      }
      if (ACTIVE.has(item.status) && !bars.has(item.id)) {
        bars.set(item.id, multibar.create(100, Math.round(item.progress), payload(item)));
      } else if (!ACTIVE.has(item.status) && bars.has(item.id)) {
        // Back to waiting (a retry's backoff) or on hold: no bar meanwhile.
        multibar.remove(bars.get(item.id) as cliProgress.SingleBar);
        bars.delete(item.id);
      }
      update(item);
    },
    progress: update,
    note: (line) => multibar.log(`${line}\n`),
    stop: () => {
      if (stopped) return;
      stopped = true;
      // Writes what is still in the log buffer before the bars go.
      multibar.update();
      multibar.stop();
    },
  };
}

function fit(text: string, width: number): string {
  const chars = [...text];
  return chars.length > width ? `${chars.slice(0, width - 1).join('')}\u2026` : text.padEnd(width);
}
