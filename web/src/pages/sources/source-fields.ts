/**
 * The Sources page's field table: each indexer and download client type's settings, from the
 * adapters' schemas (src/providers/torznab/torznab.settings.ts, qbittorrent, sabnzbd and nzbget
 * *.settings.ts, src/sources/source-config.ts), with `allowPrivateAddress` on every type. The form
 * (source-form.ts) is generated from it.
 */
import type { ClientType, IndexerType } from '../../types';

export type SourceRole = 'indexer' | 'client';
export type SourceType = IndexerType | ClientType;

export const ROLE_PATH: Record<SourceRole, string> = {
  indexer: '/api/indexers',
  client: '/api/download-clients',
};

export type FieldInput =
  'text' | 'url' | 'secret' | 'number' | 'ints' | 'bool' | 'mappings' | 'client';

export interface SourceField {
  /** The key in `settings`. */
  key: string;
  label: string;
  input: FieldInput;
  /** Needed on a create (a secret: unless one is stored already). */
  required?: boolean;
  hint?: string;
  /** A new entry's value. */
  initial?: string | boolean;
}

const PRIVATE: SourceField = {
  key: 'allowPrivateAddress',
  label: 'Allow a LAN/loopback address',
  input: 'bool',
  hint: 'Off by default: SoulSpot fetches this URL itself, so a private address is refused unless you allow it.',
};
const CATEGORY: SourceField = {
  key: 'category',
  label: 'Category',
  input: 'text',
  initial: 'soulspot',
  hint: 'Every job SoulSpot adds gets it.',
};
const DOWNLOADS_DIR: SourceField = {
  key: 'downloadsDir',
  label: 'Finished downloads, as SoulSpot sees them (optional)',
  input: 'text',
};
const MAPPINGS: SourceField = {
  key: 'pathMappings',
  label: 'Path mappings (optional)',
  input: 'mappings',
  hint: 'One a line: the client’s folder => the same folder for SoulSpot, e.g. /downloads => /mnt/dl',
};
const LINKS: SourceField = {
  key: 'allowPrivateIndexerLinks',
  label: 'Fetch release links from a LAN indexer',
  input: 'bool',
  hint: 'For a .torrent or .nzb served by an indexer on a private address (Prowlarr on the LAN).',
};

const INDEXER_FIELDS: readonly SourceField[] = [
  {
    key: 'url',
    label: 'API URL',
    input: 'url',
    required: true,
    hint: 'Without ?t=…, e.g. http://prowlarr:9696/1/api',
  },
  { key: 'apiKey', label: 'API key', input: 'secret' },
  { key: 'clientId', label: 'Download client', input: 'client', required: true },
  {
    key: 'categories',
    label: 'Categories',
    input: 'ints',
    initial: '3000, 3010, 3040',
    hint: '3000 audio, 3010 MP3, 3040 lossless',
  },
  {
    key: 'rateLimitPerMinute',
    label: 'Requests per minute at most',
    input: 'number',
    initial: '30',
  },
  PRIVATE,
];

export const FIELDS: Record<SourceType, readonly SourceField[]> = {
  torznab: INDEXER_FIELDS,
  newznab: INDEXER_FIELDS,
  qbittorrent: [
    {
      key: 'url',
      label: 'WebUI URL',
      input: 'url',
      required: true,
      hint: 'e.g. http://127.0.0.1:8080',
    },
    { key: 'username', label: 'Username', input: 'text', required: true },
    { key: 'password', label: 'Password', input: 'secret' },
    CATEGORY,
    { key: 'savePath', label: 'Save path, as qBittorrent sees it (optional)', input: 'text' },
    DOWNLOADS_DIR,
    MAPPINGS,
    { key: 'noSeedersTimeoutSeconds', label: 'Stalled after no seeders for (s)', input: 'number' },
    {
      key: 'noProgressTimeoutSeconds',
      label: 'Stalled after no progress for (s)',
      input: 'number',
    },
    PRIVATE,
    LINKS,
  ],
  sabnzbd: [
    {
      key: 'url',
      label: 'URL',
      input: 'url',
      required: true,
      hint: 'Without /api, e.g. http://127.0.0.1:8080',
    },
    { key: 'apiKey', label: 'API key', input: 'secret', required: true },
    CATEGORY,
    DOWNLOADS_DIR,
    MAPPINGS,
    PRIVATE,
    LINKS,
  ],
  nzbget: [
    {
      key: 'url',
      label: 'URL',
      input: 'url',
      required: true,
      hint: 'Without /jsonrpc, e.g. http://127.0.0.1:6789',
    },
    { key: 'username', label: 'Username (ControlUsername)', input: 'text', required: true },
    { key: 'password', label: 'Password (ControlPassword)', input: 'secret', required: true },
    CATEGORY,
    DOWNLOADS_DIR,
    MAPPINGS,
    PRIVATE,
    LINKS,
  ],
};

export const TYPES: Record<SourceRole, readonly SourceType[]> = {
  indexer: ['torznab', 'newznab'],
  client: ['qbittorrent', 'sabnzbd', 'nzbget'],
};

/**
 * The client types an indexer's releases can go to: by its protocol (a torrent or an NZB), which
 * its type implies unless its stored settings say otherwise.
 */
export function clientTypesFor(type: SourceType, protocol?: unknown): readonly ClientType[] {
  const p = protocol === 'torrent' || protocol === 'usenet' ? protocol : undefined;
  return (p ?? (type === 'torznab' ? 'torrent' : 'usenet')) === 'torrent'
    ? ['qbittorrent']
    : ['sabnzbd', 'nzbget'];
}
