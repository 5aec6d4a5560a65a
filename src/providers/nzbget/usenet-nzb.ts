import { XMLParser } from 'fast-xml-parser';
import type { AddressPolicy } from '../../net/address-policy.js';
import { linkForMessages } from '../link-redaction.js';
import { safeFetch, SafeFetchError } from '../../net/safe-fetch.js';
import { DEFAULT_QUALITY_POLICY, extensionOf } from '../../matching/quality-policy.js';
import {
  namedReleaseFile,
  pickReleaseFile,
  type ReleaseEntry,
  type ReleaseFilePick,
} from '../../matching/release-files.js';
import type { TrackTarget } from '../../matching/track-match.js';
import { ProviderError, type EnqueueRequest } from '../provider.js';
import type { IndexerRelease } from '../release.js';

/*
 * The NZB side of a Usenet enqueue, shared by the NZBGet and SABnzbd adapters: SoulSpot fetches the
 * indexer's .nzb itself (safe-fetch: SSRF rules, size and time limits), checks that it is an NZB,
 * and — when one track of a multi-file release is wanted — hands the client an NZB of that file
 * alone. So the client never fetches a URL a remote
 * party chose, and an album NZB costs one track's download per track.
 */

export interface NzbSegment {
  number: number;
  bytes: number;
  /** Without angle brackets. */
  messageId: string;
}

export interface NzbFile {
  /** The file's name, from the subject (`"name" yEnc (1/5)`); the subject itself when unquoted. */
  name: string;
  subject: string;
  poster: string;
  date: string;
  groups: string[];
  segments: NzbSegment[];
  /** Sum of the segments' bytes: the posted size, a little above the file's (yEnc overhead). */
  size: number;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  isArray: (name) => ['file', 'group', 'segment', 'meta'].includes(name),
  // An NZB never needs entities beyond the five predefined ones; none are expanded from a DTD.
  processEntities: true,
  parseTagValue: false,
  parseAttributeValue: false,
});

type Node = Record<string, unknown>;
const asNodes = (value: unknown): Node[] =>
  Array.isArray(value) ? (value.filter((v) => v !== null && typeof v === 'object') as Node[]) : [];
const text = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value !== null && typeof value === 'object' && typeof (value as Node)['#text'] === 'string'
      ? ((value as Node)['#text'] as string)
      : '';

/** The file name an NZB subject carries: the quoted part, else the subject less its yEnc tail. */
export function nameFromSubject(subject: string): string {
  const quoted = /"([^"]+)"/.exec(subject)?.[1];
  if (quoted !== undefined) return quoted.trim();
  return subject
    .replace(/\s*yEnc\s*\(\d+\/\d+\).*$/i, '')
    .replace(/\s*\(\d+\/\d+\)\s*$/, '')
    .trim();
}

/** Parses an NZB; throws ProviderError `invalid_file` when it is not one (or has no segments). */
export function parseNzb(content: string): NzbFile[] {
  let doc: Node;
  try {
    doc = parser.parse(content) as Node;
  } catch (error) {
    throw new ProviderError(
      'invalid_file',
      `the NZB is not well-formed XML: ${(error as Error).message}`,
    );
  }
  const root = doc.nzb;
  if (root === null || typeof root !== 'object') {
    throw new ProviderError('invalid_file', 'the indexer sent no NZB (no <nzb> root element)');
  }
  const files = asNodes((root as Node).file).map((file): NzbFile => {
    const subject = String(file['@_subject'] ?? '');
    const groups = asNodes([(file.groups as Node | undefined) ?? {}])
      .flatMap((g) => (Array.isArray(g.group) ? (g.group as unknown[]) : []))
      .map(text)
      .filter((g) => g !== '');
    const segments = asNodes([(file.segments as Node | undefined) ?? {}])
      .flatMap((s) => asNodes(s.segment))
      .map((s) => ({
        number: Number(s['@_number']),
        bytes: Number(s['@_bytes']),
        messageId: text(s).trim().replace(/^<|>$/g, ''),
      }))
      .filter((s) => Number.isInteger(s.number) && Number.isFinite(s.bytes) && s.messageId !== '');
    return {
      name: nameFromSubject(subject),
      subject,
      poster: String(file['@_poster'] ?? ''),
      date: String(file['@_date'] ?? ''),
      groups,
      segments,
      size: segments.reduce((sum, s) => sum + Math.max(0, s.bytes), 0),
    };
  });
  const usable = files.filter((f) => f.segments.length > 0 && f.groups.length > 0);
  if (usable.length === 0) {
    throw new ProviderError('invalid_file', 'the NZB lists no file with segments and a group');
  }
  return usable;
}

const xml = (value: string): string =>
  value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');

/** An NZB document of `files` (what the client is sent when only some files are wanted). */
export function buildNzb(files: readonly NzbFile[]): string {
  const body = files
    .map(
      (f) =>
        `<file poster="${xml(f.poster)}" date="${xml(f.date)}" subject="${xml(f.subject)}">` +
        `<groups>${f.groups.map((g) => `<group>${xml(g)}</group>`).join('')}</groups><segments>` +
        f.segments
          .map(
            (s) => `<segment bytes="${s.bytes}" number="${s.number}">${xml(s.messageId)}</segment>`,
          )
          .join('') +
        '</segments></file>',
    )
    .join('\n');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<nzb xmlns="http://www.newzbin.com/DTD/2003/nzb">\n${body}\n</nzb>\n`
  );
}

/** What counts as an audio file of a release (the matching's own list). */
const AUDIO = new Set(DEFAULT_QUALITY_POLICY.allowedExtensions);

export interface PreparedNzb {
  /** What the client is sent. */
  content: string;
  /** The wanted file of a multi-file NZB, when one was chosen (else the release goes whole). */
  picked: ReleaseFilePick | null;
  files: NzbFile[];
}

/**
 * The NZB to send: with a wanted track, the file `pickReleaseFile` chooses, alone. Not the .par2
 * set: it covers the whole release, so with the other files absent a client that verifies it
 * (SABnzbd always does) would call the job damaged, and it could not repair one file anyway;
 * without one, or when its files are no audio at all (an archived release: .rar parts), the NZB
 * whole. A release that lists audio files, none of them the track, does not have it: refused as
 * `track_not_in_release` before a byte is fetched, as a torrent without the track is (ruled out
 * for this track only: it may hold the album's others).
 */
export function prepareNzb(content: string, want?: TrackTarget, named?: string): PreparedNzb {
  const files = parseNzb(content);
  if (want === undefined) return { content, picked: null, files };
  const entries = files.map((f) => ({ path: f.name, size: f.size }));
  // The file an album search chose from this NZB's files, else the track's best match.
  const picked =
    (named !== undefined ? namedReleaseFile(entries, named) : null) ??
    pickReleaseFile(entries, want);
  if (picked === null) {
    const audio = files.filter((f) => AUDIO.has(extensionOf(f.name)));
    if (audio.length > 0)
      throw new ProviderError(
        'track_not_in_release',
        `None of the ${audio.length} audio files of the NZB is the wanted track "${want.artist} – ${want.title}"`,
      );
    return { content, picked: null, files };
  }
  const kept = files.filter((f) => f.name === picked.entry.path);
  return { content: buildNzb(kept), picked, files };
}

/**
 * The posted bytes a client must fetch for the release to be whole: every file but the .par2 set
 * (SABnzbd holds back par2 volumes until a repair needs them, so they are not counted).
 */
export function postedBytes(files: readonly NzbFile[]): number {
  return files.filter((f) => !/\.par2$/i.test(f.name)).reduce((sum, f) => sum + f.size, 0);
}

export interface NzbFetchOptions {
  /** Default 16 MB (a large discography NZB is a few MB). */
  maxBytes?: number;
  /** Default 30 s. */
  timeoutMs?: number;
  /** The address policy for indexer URLs (loopback only where the user allowed it). */
  policy?: AddressPolicy;
}

export { linkForMessages };

/** Fetches the release's .nzb through safe-fetch. Throws ProviderError. */
export async function fetchNzb(
  request: EnqueueRequest,
  options: NzbFetchOptions = {},
): Promise<string> {
  const release = request.release;
  if (release === undefined || release.protocol !== 'usenet') {
    throw new ProviderError(
      'invalid_file',
      'a Usenet client takes only Usenet releases (an NZB link)',
    );
  }
  const where = linkForMessages(release.link);
  let response;
  try {
    response = await safeFetch(release.link, {
      maxBytes: options.maxBytes ?? 16 * 1024 * 1024,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.policy ? { policy: options.policy } : {}),
      headers: { accept: 'application/x-nzb, application/xml;q=0.9, */*;q=0.5' },
    });
  } catch (error) {
    const reason = error instanceof SafeFetchError ? error.reason : 'network';
    const code =
      reason === 'timeout'
        ? 'timeout'
        : reason === 'too_large'
          ? 'invalid_file'
          : 'transfer_failed';
    throw new ProviderError(code, `could not fetch the NZB from ${where} (${reason})`);
  }
  if (response.status === 404 || response.status === 410) {
    throw new ProviderError(
      'file_not_found',
      `the indexer no longer has the NZB (${where}: HTTP ${response.status})`,
      response.status,
    );
  }
  if (response.status === 429) {
    throw new ProviderError(
      'rate_limited',
      `the indexer refused the NZB download for now (${where}: HTTP 429)`,
      429,
    );
  }
  if (response.status < 200 || response.status >= 300) {
    throw new ProviderError(
      'transfer_failed',
      `the indexer answered HTTP ${response.status} for the NZB (${where})`,
      response.status,
    );
  }
  return response.body.toString('utf8');
}

/**
 * The files of a Usenet release, from its NZB (fetched as an enqueue fetches it; nothing is sent
 * to the client). The .par2 set is left out: it holds no track.
 */
export async function nzbReleaseFiles(
  release: IndexerRelease,
  options: NzbFetchOptions = {},
): Promise<ReleaseEntry[]> {
  const content = await fetchNzb(
    {
      batchId: '',
      username: release.indexer,
      filename: release.title,
      size: release.size,
      release,
    },
    options,
  );
  return parseNzb(content)
    .filter((f) => !/\.par2$/i.test(f.name))
    .map((f) => ({ path: f.name, size: f.size }));
}

/** The job name SoulSpot gives a client: a readable title and the batch id it is found again by. */
export function jobName(title: string, batchId: string): string {
  const readable = title
    .replace(/[^\p{L}\p{N} ._()-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[ .]+|[ .]+$/g, '')
    .slice(0, 80)
    .trim();
  return `${readable === '' ? 'release' : readable}.ss-${batchId}`;
}

/** The batch id in a job name `jobName` made; null for a job SoulSpot did not add. */
export function batchIdOf(name: string): string | null {
  const match = /\.ss-([A-Za-z0-9_-]{1,64})(?:\.nzb)?$/.exec(name);
  return match?.[1] ?? null;
}
