import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';

/**
 * The "NZB" SoulSpot's Newznab endpoint hands Lidarr and its SABnzbd endpoint takes back (pure).
 * Lidarr downloads the enclosure itself and checks that the document has an `<nzb>` root with at
 * least one `<file>` (NzbValidationService.cs) before it posts it to `addfile`; it never reads the
 * segments. So the NZB is a small valid one whose `<head>` carries the release's identity (which
 * album, which folder at which source) as a token signed with an HMAC under SoulSpot's API key: an
 * NZB somebody else wrote, or one edited to point at another folder, is refused at `addfile`.
 * (The same shape as GeoffreyCoulaud/slskd-lidarr-bridge, whose NZB carries an
 * `x-slskd-payload` meta and a dummy file.)
 */

/** What a release is: the album Lidarr asked for and the peer folder SoulSpot found for it. */
export interface ReleaseIdentity {
  artist: string;
  album: string;
  year: number | null;
  provider: string;
  username: string;
  directory: string;
  /** Audio files in the folder as the search found them. */
  files: number;
  /** Their bytes together. */
  size: number;
  /** Lower-case extension ("flac", "mp3"). */
  format: string;
  /** Mean bit rate in kbps, when the peer reported one. */
  bitRate: number | null;
}

export const NZB_META_TYPE = 'x-soulspot-release';
const NZB_NS = 'http://www.newzbin.com/DTD/2003/nzb';
/** Domain separation: a token signed for this purpose is no session hash or webhook signature. */
const SIGNING_CONTEXT = 'soulspot-lidarr-release:v1:';
/** A token longer than this is refused unread (a real one is a few hundred bytes). */
const MAX_TOKEN_LENGTH = 8192;

export class NzbError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NzbError';
  }
}

function mac(key: string, body: string): Buffer {
  return createHmac('sha256', key)
    .update(SIGNING_CONTEXT + body)
    .digest();
}

/** `base64url(JSON).base64url(HMAC)`: the release, readable by anyone, forgeable by nobody without the key. */
export function signRelease(identity: ReleaseIdentity, key: string): string {
  const body = Buffer.from(JSON.stringify({ v: 1, ...identity })).toString('base64url');
  return `${body}.${mac(key, body).toString('base64url')}`;
}

/** The release a token names, or NzbError when it is malformed or its signature is not ours. */
export function verifyRelease(token: string, key: string): ReleaseIdentity {
  if (token.length > MAX_TOKEN_LENGTH) throw new NzbError('the release token is too long');
  const [body, sig, extra] = token.split('.');
  if (!body || !sig || extra !== undefined) throw new NzbError('the release token is malformed');
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, body);
  // base64url decoding ignores a last character's spare bits: only the one spelling SoulSpot
  // writes is taken, or one release would be two tokens (two keys, two albums). The body too.
  const canonical =
    given.toString('base64url') === sig &&
    Buffer.from(body, 'base64url').toString('base64url') === body;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new NzbError('the NZB was not made by this SoulSpot (signature mismatch)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    throw new NzbError('the release token is malformed');
  }
  if (!isIdentity(parsed)) throw new NzbError('the release token names no release');
  const { v: _v, ...identity } = parsed;
  return identity;
}

function isIdentity(x: unknown): x is ReleaseIdentity & { v: 1 } {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  const str = (k: string) => typeof o[k] === 'string' && (o[k] as string).length > 0;
  const num = (k: string) => typeof o[k] === 'number' && Number.isFinite(o[k]);
  return (
    o.v === 1 &&
    str('artist') &&
    str('album') &&
    str('provider') &&
    str('username') &&
    str('directory') &&
    typeof o.format === 'string' &&
    num('files') &&
    num('size') &&
    (o.year === null || num('year')) &&
    (o.bitRate === null || num('bitRate'))
  );
}

/** The key an NZB is de-duplicated by: the same release token is the same grab. */
export function releaseKey(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Characters XML 1.0 cannot carry at all (a peer's name can hold them; .NET's reader refuses them). */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
export function xmlSafe(text: string): string {
  return text.replace(XML_INVALID, '');
}

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  format: true,
  suppressEmptyNode: true,
});

/** The NZB document for a signed release: one `<file>` with one segment, as Lidarr requires. */
export function buildNzb(title: string, token: string, now: number): string {
  return builder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    nzb: {
      '@_xmlns': NZB_NS,
      head: {
        meta: [
          { '@_type': 'title', '#text': xmlSafe(title) },
          { '@_type': NZB_META_TYPE, '#text': token },
        ],
      },
      file: {
        '@_poster': 'SoulSpot',
        '@_date': Math.floor(now / 1000),
        '@_subject': xmlSafe(title),
        groups: { group: 'alt.binaries.soulspot' },
        segments: {
          segment: { '@_bytes': 1, '@_number': 1, '#text': `${releaseKey(token)}@soulspot` },
        },
      },
    },
  }) as string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  // Entities are not needed (the token is base64url) and expanding them is an attack surface.
  processEntities: false,
  isArray: (name) => name === 'meta' || name === 'file',
});

/**
 * The release token inside an NZB document, checked as Lidarr checks an NZB (an `<nzb>` root with
 * a `<file>`). Throws NzbError naming what is wrong; the signature is checked by verifyRelease.
 */
export function readNzbToken(xml: string): string {
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml, true) as Record<string, unknown>;
  } catch (error) {
    throw new NzbError(`not an NZB: ${error instanceof Error ? error.message : String(error)}`);
  }
  const nzb = doc.nzb as
    { head?: { meta?: { '@_type'?: string; '#text'?: unknown }[] }; file?: unknown[] } | undefined;
  if (!nzb || typeof nzb !== 'object') throw new NzbError('not an NZB: no <nzb> root');
  if (!Array.isArray(nzb.file) || nzb.file.length === 0)
    throw new NzbError('not an NZB: no <file>');
  const meta = nzb.head?.meta?.find((m) => m['@_type'] === NZB_META_TYPE);
  const token = meta?.['#text'];
  if (typeof token !== 'string' || token.trim() === '')
    throw new NzbError(`the NZB carries no ${NZB_META_TYPE} release: it was not made by SoulSpot`);
  return token.trim();
}
