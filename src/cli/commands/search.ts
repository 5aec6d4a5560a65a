import { CliError } from '../client.js';
import type { CommandResult, Context } from '../context.js';
import { formatBytes, paint, printable } from '../format.js';

interface FileResult {
  rank?: number;
  username: string;
  filename: string;
  size: number;
  extension: string;
  bitRate: number | null;
  sampleRate: number | null;
  bitDepth: number | null;
  lengthSeconds: number | null;
  score?: number;
  notes?: string[];
  reason?: string;
  profileParts?: Array<{ condition: string; points: number; reason: string }>;
}

interface SearchAnswer {
  query: string;
  profile: { id: string; name: string };
  found: number;
  rankedTotal: number;
  rejectedTotal: number;
  ranked: FileResult[];
  rejected: FileResult[];
}

export interface SearchOptions {
  limit: number;
  rejected: boolean;
  profile?: string;
}

/** `search "query"`: POST /api/search, the ranked results with why each scored so. */
/** The query, checked before anything is sent. */
export function searchQuery(words: string[], opts: SearchOptions): string {
  const query = words.join(' ').trim();
  if (query === '') throw new CliError('usage', 'search: give the words to search for');
  if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > 200)
    throw new CliError('usage', '--limit must be a whole number from 1 to 200');
  return query;
}

export async function searchCommand(
  ctx: Context,
  query: string,
  opts: SearchOptions,
): Promise<CommandResult> {
  // The search runs at slskd for up to a few times its timeout: wait for it.
  const answer = await ctx.client.request<SearchAnswer>(
    'POST',
    '/api/search',
    { query, limit: opts.limit, ...(opts.profile ? { qualityProfileId: opts.profile } : {}) },
    180_000,
  );
  if (!ctx.json) ctx.out.write(searchText(answer, opts.rejected, ctx.colour));
  return { exit: 'ok', json: answer };
}

/** The answer as text: a header, each ranked file with its score and reasons, then the rejected (pure). */
export function searchText(a: SearchAnswer, withRejected: boolean, colour: boolean): string {
  const lines = [
    `${a.found} files found for "${printable(a.query)}" (profile ${printable(a.profile.name)}): ${a.rankedTotal} ranked, ${a.rejectedTotal} rejected`,
  ];
  for (const r of a.ranked) {
    lines.push(
      `${String(r.rank ?? '').padStart(3)}. ${paint(String(r.score ?? ''), 'green', colour)}  ${fileFacts(r)}  ${printable(r.username)}`,
    );
    lines.push(`     ${printable(r.filename)}`);
    const why = [
      ...(r.notes ?? []),
      ...(r.profileParts ?? []).map((p) => `${p.reason} (${p.points >= 0 ? '+' : ''}${p.points})`),
    ];
    if (why.length > 0) lines.push(`     why: ${printable(why.join(', '))}`);
  }
  if (withRejected) {
    if (a.rejected.length > 0) lines.push('Rejected:');
    for (const r of a.rejected) {
      lines.push(
        `  ${paint('x', 'red', colour)} ${fileFacts(r)}  ${printable(r.username)}  ${printable(r.filename)}`,
      );
      lines.push(`     ${printable(r.reason ?? '')}`);
    }
  } else if (a.rejectedTotal > 0)
    lines.push(`(${a.rejectedTotal} rejected: --rejected lists them with the reason)`);
  return `${lines.join('\n')}\n`;
}

function fileFacts(r: FileResult): string {
  const q =
    r.bitDepth && r.sampleRate
      ? `${r.bitDepth}/${(r.sampleRate / 1000).toFixed(1)}kHz`
      : r.bitRate
        ? `${r.bitRate}kbps`
        : '';
  const len = r.lengthSeconds
    ? `${Math.floor(r.lengthSeconds / 60)}:${String(Math.round(r.lengthSeconds % 60)).padStart(2, '0')}`
    : '';
  return [r.extension.toUpperCase(), q, len, formatBytes(r.size)].filter(Boolean).join(' ');
}
