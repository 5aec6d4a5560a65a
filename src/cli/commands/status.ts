import type { CommandResult, Context } from '../context.js';
import { paint, printable } from '../format.js';

interface Health {
  status: 'ok' | 'degraded';
  providers: Record<string, { state?: string; message?: string; circuit?: string }>;
  queue: Record<string, number>;
  transcode: { available: boolean; message?: string };
  checks: Array<{ name: string; status: string; message: string }>;
}

/** `status`: GET /api/health (and GET /api/queue for the slots), exit 1 when degraded. */
export async function statusCommand(ctx: Context): Promise<CommandResult> {
  const health = await ctx.client.request<Health>('GET', '/api/health');
  // /api/health is open: ask something keyed too, so a wrong key shows here and not later.
  const queue = await ctx.client.request<{ paused: boolean; slots: Record<string, number> }>(
    'GET',
    '/api/queue',
  );
  if (!ctx.json) ctx.out.write(statusText(ctx.client.url, health, queue, ctx.colour));
  return {
    exit: health.status === 'ok' ? 'ok' : 'someFailed',
    json: { url: ctx.client.url, health, queue },
  };
}

export function statusText(
  url: string,
  h: Health,
  q: { paused: boolean; slots: Record<string, number> },
  colour: boolean,
): string {
  const mark = (s: string): string =>
    paint(s, s === 'ok' || s === 'up' ? 'green' : s === 'warning' ? 'yellow' : 'red', colour);
  const lines = [`SoulSpot at ${url}: ${mark(h.status)}${q.paused ? ' (queue paused)' : ''}`];
  for (const [id, p] of Object.entries(h.providers))
    lines.push(
      `  provider ${id}: ${mark(p.state ?? 'unknown')}${p.message ? ` (${printable(p.message)})` : ''}`,
    );
  const counts = Object.entries(h.queue)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  if (counts) lines.push(`  queue: ${counts}`);
  if (q.slots.working !== undefined)
    lines.push(`  slots: ${q.slots.working}/${q.slots.maxConcurrent} working`);
  for (const c of h.checks)
    lines.push(
      `  check ${c.name}: ${mark(c.status)}${c.message ? ` (${printable(c.message)})` : ''}`,
    );
  return `${lines.join('\n')}\n`;
}
