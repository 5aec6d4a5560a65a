/** Text the CLI prints: sizes, speeds, times, status words and their colours (pure). */

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '?';
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u] as string}`;
}

export function formatSpeed(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !(bytesPerSecond > 0)) return '-';
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Seconds left as "42s", "3m05s", "1h02m"; "-" when unknown. */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0)
    return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Seconds until a transfer of `size` bytes, `done` of them in, ends at `speed` bytes/s. */
export function etaSeconds(size: number | null, done: number, speed: number | null): number | null {
  if (size === null || !(speed !== null && speed > 0) || done > size) return null;
  return (size - done) / speed;
}

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'dim';
const SGR: Record<Colour, string> = {
  green: '32',
  red: '31',
  yellow: '33',
  cyan: '36',
  dim: '2',
};

/** Status word → colour; one table for every command. */
export const STATUS_COLOURS: Readonly<Record<string, Colour>> = {
  completed: 'green',
  failed: 'red',
  cancelled: 'yellow',
  paused: 'yellow',
  scheduled: 'dim',
  waiting: 'dim',
  searching: 'cyan',
  queued: 'cyan',
  downloading: 'cyan',
  processing: 'cyan',
};

export function paint(text: string, colour: Colour | undefined, enabled: boolean): string {
  return enabled && colour ? `\x1b[${SGR[colour]}m${text}\x1b[0m` : text;
}

/** The status word, padded to `width` (the colour is looked up by the bare word). */
export const paintStatus = (status: string, enabled: boolean, width = 0): string =>
  paint(status.padEnd(width), STATUS_COLOURS[status], enabled);

/**
 * Whether to colour: only on a terminal, never with NO_COLOR set to anything non-empty
 * (https://no-color.org), never with --no-color.
 */
export function colourEnabled(opts: {
  isTTY: boolean;
  env: Record<string, string | undefined>;
  flag: boolean;
}): boolean {
  if (!opts.flag || !opts.isTTY) return false;
  const noColor = opts.env.NO_COLOR;
  return noColor === undefined || noColor === '';
}

/** Control characters out of a peer's or a user's text before it reaches the terminal. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?').replace(/\n/g, ' ');
}

export const trackName = (d: { artist: string; title: string }): string =>
  printable(`${d.artist} - ${d.title}`);
