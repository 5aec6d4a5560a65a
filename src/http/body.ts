import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';

/** A refusal of the request as sent; the error handler answers with its status and message. */
export class RequestError extends Error {
  constructor(
    readonly statusCode: 400 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

/**
 * Request bodies are JSON in UTF-8, uncompressed. Fastify's own JSON parser decodes the bytes with
 * replacement, so a body that is not UTF-8 reached storage with U+FFFD in place of what was sent;
 * and Fastify ignores Content-Encoding, so a "gzip" body was parsed as if it were plain. SoulSpot
 * does not decompress request bodies (they are a few hundred bytes of JSON; compression would only
 * add a decompression-bomb limit to get right), so any encoding but identity is a 415.
 * text/plain, which Fastify parses by default, goes too: no route takes text.
 */
export function acceptJsonBodiesOnly(app: FastifyInstance): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = contentEncoding(request.headers['content-encoding']);
    if (encoding !== undefined)
      throw new RequestError(
        415,
        `headers/content-encoding: Content-Encoding "${encoding}" is not supported; send the body uncompressed`,
      );
    return payload;
  });

  // Strict about __proto__ and constructor.prototype keys, which no SoulSpot body has.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      done(
        new RequestError(
          415,
          `headers/content-type: charset "${charset}" is not supported; JSON bodies are UTF-8`,
        ),
      );
      return;
    }
    const bytes = body as Buffer;
    if (bytes.length === 0) {
      done(new RequestError(400, 'body is empty, but Content-Type says application/json'));
      return;
    }
    if (!isUtf8(bytes)) {
      done(new RequestError(400, 'body is not valid UTF-8'));
      return;
    }
    parseJson(request, bytes.toString('utf8'), (error, value) => {
      if (error) done(new RequestError(400, 'body is not valid JSON'));
      else done(null, value);
    });
  });
}

/** The encoding named by the header when it is anything but identity; undefined otherwise. */
function contentEncoding(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const codings = (Array.isArray(header) ? header.join(',') : header)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '');
  return codings.find((c) => c !== 'identity');
}

function charsetOf(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType ?? '');
  return match?.[1];
}
