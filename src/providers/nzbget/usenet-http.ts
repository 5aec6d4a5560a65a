import { ProviderError, providerUnavailable, type ProviderId } from '../provider.js';

/*
 * One HTTP exchange with a Usenet client's API (NZBGet's JSON-RPC, SABnzbd's /api), shared by both
 * adapters: a deadline over the whole exchange, a cap on the body (the stream is cancelled, not
 * buffered), and every failure a ProviderError. The client's URL is the user's own daemon, so plain
 * fetch (as for slskd); only indexer links go through safe-fetch (usenet-nzb.ts).
 */

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Absent: plain fetch (a client the API added gets net/guarded-fetch.ts). */
  fetch?: typeof fetch;
}

export interface HttpReply {
  status: number;
  text: string;
}

async function readCapped(
  response: Response,
  limit: number,
  what: string,
  provider: ProviderId,
): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  const tooLarge = () =>
    new ProviderError(
      'unknown',
      `${provider}'s answer to ${what} is larger than ${limit} bytes; refused`,
      response.status,
      provider,
    );
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

/** Sends one request; an unreachable daemon or a deadline passed is "provider unavailable". */
export async function send(
  provider: ProviderId,
  url: string,
  init: RequestInit,
  limits: HttpLimits,
  what: string,
): Promise<HttpReply> {
  try {
    const response = await (limits.fetch ?? fetch)(url, {
      ...init,
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
    return {
      status: response.status,
      text: await readCapped(response, limits.maxBytes, what, provider),
    };
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    const name = (error as Error).name;
    const detail =
      name === 'TimeoutError' || name === 'AbortError'
        ? `no answer within ${limits.timeoutMs} ms`
        : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
    throw providerUnavailable(provider, `${provider} is unreachable (${what}): ${detail}`);
  }
}

export function parseJson(provider: ProviderId, reply: HttpReply, what: string): unknown {
  try {
    return JSON.parse(reply.text);
  } catch {
    const snippet = reply.text.replace(/\s+/g, ' ').slice(0, 200);
    throw new ProviderError(
      'unknown',
      `${provider} sent malformed JSON for ${what} (HTTP ${reply.status}): ${snippet}`,
      reply.status,
      provider,
    );
  }
}
