/** Small pieces the pages share: an error line, a status badge, a table that scrolls on phones. */
import type { ComponentChildren } from 'preact';

/** An error message with a test id; nothing when there is no error. */
export function ErrorLine({ error, testid }: { error: string | null | undefined; testid: string }) {
  if (!error) return null;
  return (
    <p class="error" role="alert" data-testid={testid}>
      {error}
    </p>
  );
}

/** A status word as a coloured badge; the class comes from a fixed list, never from the text. */
const TONES: Record<string, string> = {
  ok: 'ok',
  up: 'ok',
  closed: 'ok',
  completed: 'ok',
  delivered: 'ok',
  warning: 'warn',
  'half-open': 'warn',
  partial: 'warn',
  unknown: 'warn',
  searching: 'info',
  downloading: 'info',
  processing: 'info',
  queued: 'info',
  waiting: 'info',
  error: 'bad',
  down: 'bad',
  failing: 'bad',
  open: 'bad',
  failed: 'bad',
  dead: 'bad',
  cancelled: 'muted',
  paused: 'muted',
  disabled: 'muted',
  scheduled: 'muted',
};

export function Badge({ value }: { value: string }) {
  return (
    <span class={`badge badge-${TONES[value] ?? 'muted'}`} data-value={value}>
      {value}
    </span>
  );
}

/** A table inside a box that scrolls sideways on a narrow screen. */
export function TableBox({ children, testid }: { children: ComponentChildren; testid?: string }) {
  return (
    <div class="table-box" data-testid={testid}>
      <table class="data">{children}</table>
    </div>
  );
}
