// Simulated Soulseek peers: who is online, what each one shares, how its shares answer a search, and
// the audio attributes peers advertise (read from the real files so ranking code sees honest numbers).
import { statSync } from 'node:fs';
import { type IAudioMetadata, parseFile } from 'music-metadata';
import type { SearchFile, SearchResponse } from './state.js';
import { remoteDirectory } from './state.js';
import type { PeerBehaviour, SimFile, SimUser } from './types.js';

export type ResolvedBehaviour = PeerBehaviour &
  Required<
    Pick<
      PeerBehaviour,
      'latencyMs' | 'uploadSpeed' | 'hasFreeUploadSlot' | 'queueLength' | 'remoteQueueMs'
    >
  >;

const DEFAULTS = {
  latencyMs: 50,
  uploadSpeed: 5_000_000,
  hasFreeUploadSlot: true,
  queueLength: 0,
  remoteQueueMs: 0,
};

type Attributes = Omit<SearchFile, 'filename' | 'size' | 'code' | 'extension' | 'isLocked'>;
type Format = IAudioMetadata['format'];

/** Files parsed at once while reading audio attributes (a scenario may list thousands). */
const PARSE_CONCURRENCY = 8;

export interface PeerFile {
  sim: SimFile;
  /** What the peer advertises and sends (SimFile.size or the real size). */
  size: number;
  /** Words of the remote path, for search matching. */
  words: Set<string>;
  /** The real file's audio format, parsed once per local path when the user is added. */
  format: Promise<Format | undefined>;
}

export interface Peer {
  username: string;
  behaviour: PeerBehaviour;
  files: Map<string, PeerFile>;
}

/** Soulseek clients index words, not substrings: split on anything that is not a letter or digit. */
export const words = (text: string): string[] =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);

/** Soulseek.NET's query rules: split on spaces, drop 1-char terms, `-term` excludes. */
export function parseQuery(searchText: string): { terms: string[]; exclusions: string[] } {
  const tokens = searchText.toLowerCase().split(/\s+/).filter(Boolean);
  return {
    terms: tokens.filter((t) => !t.startsWith('-') && t.length > 1),
    exclusions: tokens.filter((t) => t.startsWith('-') && t.length > 1).map((t) => t.slice(1)),
  };
}

function matches(file: PeerFile, query: { terms: string[]; exclusions: string[] }): boolean {
  const has = (term: string): boolean => {
    const parts = words(term);
    return parts.length > 0 && parts.every((p) => file.words.has(p));
  };
  return query.terms.every(has) && !query.exclusions.some(has);
}

/** What the peer advertises: the SimFile's overrides, else the real file's values. */
function attributesOf(sim: SimFile, format: Format | undefined): Attributes {
  const lossless = format?.lossless === true;
  const kbps = format?.bitrate === undefined ? undefined : Math.round(format.bitrate / 1000);
  return {
    bitDepth: sim.bitDepth ?? (lossless ? format?.bitsPerSample : undefined),
    bitRate: sim.bitRate ?? kbps,
    isVariableBitRate:
      sim.isVariableBitRate ??
      (format && !lossless ? !(format.codecProfile ?? 'CBR').startsWith('CBR') : undefined),
    length:
      sim.lengthSeconds ??
      (format?.duration === undefined ? undefined : Math.round(format.duration)),
    sampleRate: sim.sampleRate ?? format?.sampleRate,
  };
}

export class Peers {
  private readonly byName = new Map<string, Peer>();
  /** localPath → parsed format. Scenarios reuse a few fixtures for many remote paths. */
  private readonly formats = new Map<string, Promise<Format | undefined>>();
  private parsing = 0;
  private readonly parseQueue: (() => void)[] = [];

  /**
   * Reads a file's format in the background, a few at a time. It is done when the user is added so
   * that a search answer arrives after the peer's latency, not after a cold parse.
   */
  private readFormat(localPath: string): Promise<Format | undefined> {
    let format = this.formats.get(localPath);
    if (!format) {
      format = (async () => {
        if (this.parsing >= PARSE_CONCURRENCY) {
          await new Promise<void>((resolve) => this.parseQueue.push(resolve));
        }
        this.parsing++;
        try {
          return (await parseFile(localPath, { skipCovers: true })).format;
        } catch {
          return undefined; // not audio the parser knows: advertise only what the SimFile says
        } finally {
          this.parsing--;
          this.parseQueue.shift()?.();
        }
      })();
      this.formats.set(localPath, format);
    }
    return format;
  }

  /** Resolves when every known file's attributes have been read. */
  async ready(): Promise<void> {
    await Promise.all(this.formats.values());
  }

  /** Adds or replaces a user; fails fast on a missing local file so a bad scenario is obvious. */
  add(user: SimUser): void {
    const files = new Map<string, PeerFile>();
    for (const sim of user.files) {
      let realSize: number;
      try {
        realSize = statSync(sim.localPath).size;
      } catch {
        throw new Error(`User ${user.username}: local file not found: ${sim.localPath}`);
      }
      files.set(sim.remotePath, {
        sim,
        size: sim.size ?? realSize,
        words: new Set(words(sim.remotePath)),
        format: this.readFormat(sim.localPath),
      });
    }
    this.byName.set(user.username, {
      username: user.username,
      behaviour: { ...user.behaviour },
      files,
    });
  }

  get(username: string): Peer | undefined {
    return this.byName.get(username);
  }

  all(): Peer[] {
    return [...this.byName.values()];
  }

  /** Unknown users count as offline, as the Soulseek server reports them. */
  isOnline(username: string): boolean {
    const peer = this.byName.get(username);
    return peer !== undefined && !peer.behaviour.offline;
  }

  /** The address the Soulseek server reports for a peer (GET /users/{u}/endpoint, connect errors). */
  endpoint(username: string): { address: string; port: number } {
    const index = this.all().findIndex((p) => p.username === username);
    const i = Math.max(0, index);
    return { address: `10.0.${Math.floor(i / 250)}.${(i % 250) + 2}`, port: 2234 };
  }

  behaviour(username: string): ResolvedBehaviour {
    const own = this.byName.get(username)?.behaviour ?? {};
    return { ...DEFAULTS, ...stripUndefined(own) };
  }

  setBehaviour(username: string, patch: Partial<PeerBehaviour>): void {
    const peer = this.byName.get(username);
    if (!peer) throw new Error(`Unknown simulated user: ${username}`);
    for (const [key, value] of Object.entries(patch) as [keyof PeerBehaviour, unknown][]) {
      // null (from JSON) or undefined clears a field back to its default.
      if (value === null || value === undefined) delete peer.behaviour[key];
      else (peer.behaviour as Record<string, unknown>)[key] = value;
    }
  }

  /** The search File object for one shared file, attributes read once from the real file. */
  async searchFile(file: PeerFile): Promise<SearchFile> {
    const a = attributesOf(file.sim, await file.format);
    return {
      bitDepth: a.bitDepth,
      bitRate: a.bitRate,
      code: 1,
      // Soulseek clients other than slskd mostly send an empty extension; clients must not rely on it.
      extension: '',
      filename: file.sim.remotePath,
      isVariableBitRate: a.isVariableBitRate,
      length: a.length,
      sampleRate: a.sampleRate,
      size: file.size,
      isLocked: false,
    };
  }

  /** One peer's answer to a search, or undefined when it has nothing matching (or is offline). */
  async respond(
    peer: Peer,
    query: { terms: string[]; exclusions: string[] },
    token: number,
  ): Promise<SearchResponse | undefined> {
    if (peer.behaviour.offline) return undefined;
    const hits = [...peer.files.values()].filter(
      (f) => !f.sim.hiddenFromSearch && matches(f, query),
    );
    if (hits.length === 0) return undefined;
    const b = this.behaviour(peer.username);
    const files = await Promise.all(hits.map((f) => this.searchFile(f)));
    return {
      fileCount: files.length,
      files,
      hasFreeUploadSlot: b.hasFreeUploadSlot,
      lockedFileCount: 0,
      lockedFiles: [],
      queueLength: b.queueLength,
      token,
      uploadSpeed: b.uploadSpeed,
      username: peer.username,
    };
  }

  /** Browse shape: directories with base-name files and an attribute list instead of fields. */
  async browse(
    peer: Peer,
    onlyDirectory?: string,
  ): Promise<{ name: string; fileCount: number; files: unknown[] }[]> {
    const dirs = new Map<string, unknown[]>();
    for (const file of peer.files.values()) {
      const name = remoteDirectory(file.sim.remotePath);
      if (onlyDirectory !== undefined && name !== onlyDirectory) continue;
      const f = await this.searchFile(file);
      const attributes = (
        [
          ['BitRate', f.bitRate],
          ['Length', f.length],
          [
            'VariableBitRate',
            f.isVariableBitRate === undefined ? undefined : Number(f.isVariableBitRate),
          ],
          ['SampleRate', f.sampleRate],
          ['BitDepth', f.bitDepth],
        ] as const
      )
        .filter(([, value]) => value !== undefined)
        .map(([type, value]) => ({ type, value }));
      const { isLocked: _locked, ...rest } = f;
      const list = dirs.get(name) ?? [];
      list.push({
        ...rest,
        filename: file.sim.remotePath.slice(name.length + 1),
        attributeCount: attributes.length,
        attributes,
      });
      dirs.set(name, list);
    }
    return [...dirs].map(([name, files]) => ({ name, fileCount: files.length, files }));
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
