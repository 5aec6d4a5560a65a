import { CliError } from '../client.js';
import type { CommandResult, Context } from '../context.js';
import { printable } from '../format.js';

export const ACTIONS = ['cancel', 'retry', 'pause', 'resume'] as const;
export type Action = (typeof ACTIONS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PAST: Record<Action, string> = {
  cancel: 'cancelled',
  retry: 'retried',
  pause: 'paused',
  resume: 'resumed',
};

interface BatchAnswer {
  successCount: number;
  failedCount: number;
  errors: Array<{ id: string; code: string; message: string }>;
}

/** `cancel|retry|pause|resume ID…`: one POST /api/downloads/batch for all the ids. */
/** The ids, checked before anything is sent: lowercase UUIDs, each once. */
export function checkIds(action: Action, ids: string[]): string[] {
  if (ids.length === 0)
    throw new CliError(
      'usage',
      `${action}: give one or more download ids (soulspot queue lists them)`,
    );
  const bad = ids.filter((id) => !UUID.test(id));
  if (bad.length > 0)
    throw new CliError(
      'usage',
      `${action}: not a download id: ${bad.map((b) => printable(b)).join(', ')}`,
    );
  return [...new Set(ids)];
}

export async function controlCommand(
  ctx: Context,
  action: Action,
  unique: string[],
): Promise<CommandResult> {
  const answer = await ctx.client.request<BatchAnswer>('POST', '/api/downloads/batch', {
    action,
    ids: unique,
  });
  if (!ctx.json) {
    ctx.out.write(`${answer.successCount} ${PAST[action]}, ${answer.failedCount} not\n`);
    for (const e of answer.errors) ctx.out.write(`  ${e.id}: ${e.code}: ${printable(e.message)}\n`);
  }
  return { exit: answer.failedCount > 0 ? 'someFailed' : 'ok', json: { action, ...answer } };
}
