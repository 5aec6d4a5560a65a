import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';

/** One request as a receiver saw it. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The status it was answered with (null while held or when the connection died first). */
  answered: number | null;
}

/**
 * What the receiver does with the n-th request (0-based): answer a status, answer with a body,
 * or hold it (no answer until `release()`, or until the client goes away).
 */
export type Respond = (
  request: Received,
  index: number,
) => number | { status: number; headers?: Record<string, string>; body?: string } | 'hold';

/** An HTTP server on 127.0.0.1 that records every request (the tests' notification targets). */
export async function startReceiver(respond: Respond = () => 200) {
  const requests: Received[] = [];
  const held: { res: ServerResponse; entry: Received }[] = [];
  let handler = respond;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        answered: null,
      };
      const index = requests.length;
      requests.push(entry);
      const r = handler(entry, index);
      if (r === 'hold') {
        held.push({ res, entry });
        return;
      }
      const answer = typeof r === 'number' ? { status: r } : r;
      entry.answered = answer.status;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Changes how later requests are answered. */
    setRespond(next: Respond): void {
      handler = next;
    },
    /** Answers the held requests. */
    release(status = 200): void {
      for (const { res, entry } of held.splice(0)) {
        if (res.destroyed) continue;
        entry.answered = status;
        res.writeHead(status);
        res.end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
