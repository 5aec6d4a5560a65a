// A yEnc poster for tests (no Debian package posts yEnc): encodes files into yEnc articles and
// posts them to an NNTP reader (the local INN of usenet.ts), checking each one with STAT, because
// nnrpd answers 240 to a POST even when innd refused to store the article
// (/work/shared/field/real-peers.md 3a, 3b). Node only, no dependencies.
import { randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { crc32 } from 'node:zlib';

/** yEnc body lines: NUL LF CR '=' always escaped, TAB/SPACE at line edges, '.' at a line's start. */
export function yencEncode(buf: Buffer, lineLength = 128): Buffer {
  const out: number[] = [];
  let col = 0;
  for (let i = 0; i < buf.length; i++) {
    let c = (buf[i]! + 42) & 0xff;
    const atStart = col === 0;
    const atEnd = col >= lineLength - 1 || i === buf.length - 1;
    if (
      c === 0 ||
      c === 10 ||
      c === 13 ||
      c === 61 ||
      ((c === 9 || c === 32) && (atStart || atEnd)) ||
      (c === 46 && atStart)
    ) {
      out.push(61);
      c = (c + 64) & 0xff;
      col++;
    }
    out.push(c);
    col++;
    if (col >= lineLength) {
      out.push(13, 10);
      col = 0;
    }
  }
  if (col) out.push(13, 10);
  return Buffer.from(out);
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

/** One posted article, as an NZB names it. */
export interface PostedSegment {
  number: number;
  /** Article size in bytes (the NZB's `bytes`). */
  bytes: number;
  /** Without the angle brackets, as the NZB carries it. */
  messageId: string;
}

/** One posted file: what nzb.ts writes into a `<file>`. */
export interface PostedFile {
  name: string;
  subject: string;
  poster: string;
  /** Unix seconds. */
  date: number;
  groups: string[];
  segments: PostedSegment[];
}

/** A line-based NNTP conversation over one socket. */
class NntpConnection {
  private buffer = '';
  private waiters: ((line: string) => void)[] = [];
  private lines: string[] = [];
  private failure: Error | null = null;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\r\n')) >= 0) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    socket.on('error', (error) => {
      this.failure = error;
    });
  }

  static open(host: string, port: number): Promise<NntpConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new NntpConnection(socket)));
      socket.once('error', reject);
    });
  }

  line(timeoutMs = 15_000): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    const ready = this.lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('NNTP server did not answer')), timeoutMs);
      this.waiters.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Sends raw bytes (latin1 keeps yEnc's 8-bit bytes) and reads the status line. */
  async send(data: Buffer | string, expect: string): Promise<string> {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
    const reply = await this.line();
    if (!reply.startsWith(expect)) throw new Error(`NNTP: expected ${expect}, got "${reply}"`);
    return reply;
  }

  close(): void {
    this.socket.end('QUIT\r\n');
  }
}

export interface PostOptions {
  host?: string;
  port: number;
  group?: string;
  /** Bytes of the file per article; real-peers.md used 200000 (INN's maxartsize is 1 MB). */
  partSize?: number;
}

/**
 * Posts `data` as yEnc articles named `name` and returns what an NZB needs. Every article is
 * STAT-checked after its POST (expect 223); one that is not there fails the post.
 */
export async function postYenc(
  name: string,
  data: Buffer,
  options: PostOptions,
): Promise<PostedFile> {
  const group = options.group ?? 'alt.binaries.test';
  const partSize = options.partSize ?? 200_000;
  const total = Math.max(1, Math.ceil(data.length / partSize));
  const nntp = await NntpConnection.open(options.host ?? '127.0.0.1', options.port);
  const poster = 'SoulSpot test <test@test.localdomain>';
  const file: PostedFile = {
    name,
    subject: `"${name}" yEnc (1/${total})`,
    poster,
    date: Math.floor(Date.now() / 1000),
    groups: [group],
    segments: [],
  };
  try {
    await nntp.line().then((greeting) => {
      if (!greeting.startsWith('200')) throw new Error(`NNTP greeting: ${greeting}`);
    });
    for (let part = 1; part <= total; part++) {
      const begin = (part - 1) * partSize;
      const chunk = data.subarray(begin, Math.min(data.length, begin + partSize));
      const messageId = `${randomUUID()}@test.localdomain`;
      const last = part === total ? ` crc32=${hex8(crc32(data))}` : '';
      const body = Buffer.concat([
        Buffer.from(
          `=ybegin part=${part} total=${total} line=128 size=${data.length} name=${name}\r\n` +
            `=ypart begin=${begin + 1} end=${begin + chunk.length}\r\n`,
          'latin1',
        ),
        yencEncode(chunk),
        Buffer.from(
          `=yend size=${chunk.length} part=${part} pcrc32=${hex8(crc32(chunk))}${last}\r\n`,
        ),
      ]);
      const headers =
        `From: ${poster}\r\nNewsgroups: ${group}\r\n` +
        `Subject: "${name}" yEnc (${part}/${total})\r\nMessage-ID: <${messageId}>\r\n\r\n`;
      const article = Buffer.concat([Buffer.from(headers, 'latin1'), body]);
      await nntp.send('POST\r\n', '340');
      await nntp.send(Buffer.concat([article, Buffer.from('.\r\n')]), '240');
      await nntp.send(`STAT <${messageId}>\r\n`, '223');
      file.segments.push({ number: part, bytes: article.length, messageId });
    }
  } finally {
    nntp.close();
  }
  return file;
}

/** A segment whose article was never posted: an NZB with it is missing an article. */
export function missingSegment(number: number, bytes: number): PostedSegment {
  return { number, bytes, messageId: `missing-${randomUUID()}@test.localdomain` };
}
