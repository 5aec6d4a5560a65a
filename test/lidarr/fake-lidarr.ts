import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small Lidarr on loopback for the wanted-list sync: the three routes it calls, answering in the
 * shapes of Lidarr's API v1 resource classes (PagingResource<AlbumResource> with ArtistResource,
 * List<TrackResource>, CommandResource), camelCase as Lidarr serializes them, with the fields a
 * real Lidarr sends (most of them unread by SoulSpot, present so the parser meets real answers).
 */

export interface FakeAlbum {
  id: number;
  artist: string;
  title: string;
  releaseDate: string;
  tracks: { title: string; number: number; medium?: number; durationMs: number }[];
}

export interface FakeLidarr {
  url: string;
  apiKey: string;
  /** Every request: method, path with query, X-Api-Key. */
  requests: { method: string; url: string; key: string | undefined }[];
  /** Bodies POSTed to /api/v1/command. */
  commands: { name: string; path: string }[];
  close(): Promise<void>;
}

function artistResource(id: number, name: string) {
  return {
    id,
    artistMetadataId: id,
    status: 'continuing',
    ended: false,
    artistName: name,
    foreignArtistId: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    tadbId: 0,
    discogsId: 0,
    overview: '',
    artistType: 'Group',
    disambiguation: '',
    links: [],
    images: [],
    path: `/music/${name}`,
    qualityProfileId: 1,
    metadataProfileId: 1,
    monitored: true,
    monitorNewItems: 'all',
    genres: [],
    cleanName: name.toLowerCase().replace(/\W/g, ''),
    sortName: name.toLowerCase(),
    tags: [],
    added: '2024-01-01T00:00:00Z',
    ratings: { votes: 0, value: 0 },
    statistics: {
      albumCount: 1,
      trackFileCount: 0,
      trackCount: 3,
      totalTrackCount: 3,
      sizeOnDisk: 0,
      percentOfTracks: 0,
    },
  };
}

function albumResource(a: FakeAlbum) {
  return {
    id: a.id,
    title: a.title,
    disambiguation: '',
    overview: '',
    artistId: a.id * 10,
    foreignAlbumId: `10000000-0000-4000-8000-${String(a.id).padStart(12, '0')}`,
    monitored: true,
    anyReleaseOk: true,
    profileId: 1,
    duration: a.tracks.reduce((n, t) => n + t.durationMs, 0),
    albumType: 'Album',
    secondaryTypes: [],
    mediumCount: 1,
    ratings: { votes: 0, value: 0 },
    releaseDate: a.releaseDate,
    releases: [],
    genres: [],
    media: [{ mediumNumber: 1, mediumName: '', mediumFormat: 'CD' }],
    artist: artistResource(a.id * 10, a.artist),
    images: [],
    links: [],
    statistics: {
      trackFileCount: 0,
      trackCount: a.tracks.length,
      totalTrackCount: a.tracks.length,
      sizeOnDisk: 0,
      percentOfTracks: 0,
    },
    grabbed: false,
  };
}

function trackResource(a: FakeAlbum, t: FakeAlbum['tracks'][number], i: number) {
  return {
    id: a.id * 100 + i,
    artistId: a.id * 10,
    foreignTrackId: `20000000-0000-4000-8000-${String(a.id * 100 + i).padStart(12, '0')}`,
    foreignRecordingId: `30000000-0000-4000-8000-${String(a.id * 100 + i).padStart(12, '0')}`,
    trackFileId: 0,
    albumId: a.id,
    explicit: false,
    absoluteTrackNumber: t.number,
    trackNumber: String(t.number),
    title: t.title,
    duration: t.durationMs,
    mediumNumber: t.medium ?? 1,
    hasFile: false,
    ratings: { votes: 0, value: 0 },
  };
}

export async function startFakeLidarr(
  albums: FakeAlbum[],
  apiKey = 'lidarr-key-0123456789abcdef',
): Promise<FakeLidarr> {
  const requests: FakeLidarr['requests'] = [];
  const commands: FakeLidarr['commands'] = [];
  let nextCommand = 1;
  const server = http.createServer((req, res) => {
    const key = req.headers['x-api-key'];
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      key: typeof key === 'string' ? key : undefined,
    });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (key !== apiKey) return send(401, { message: 'Unauthorized' });
    const url = new URL(req.url ?? '/', 'http://lidarr');
    if (
      req.method === 'GET' &&
      (url.pathname === '/api/v1/wanted/missing' || url.pathname === '/api/v1/wanted/cutoff')
    ) {
      const page = Number(url.searchParams.get('page') ?? 1);
      const pageSize = Number(url.searchParams.get('pageSize') ?? 10);
      const list = url.pathname.endsWith('missing') ? albums : [];
      return send(200, {
        page,
        pageSize,
        sortKey: url.searchParams.get('sortKey') ?? 'releaseDate',
        sortDirection: 'descending',
        totalRecords: list.length,
        records: list.slice((page - 1) * pageSize, page * pageSize).map(albumResource),
      });
    }
    if (req.method === 'GET' && url.pathname === '/api/v1/track') {
      const album = albums.find((a) => a.id === Number(url.searchParams.get('albumId')));
      if (!album) return send(200, []);
      return send(
        200,
        album.tracks.map((t, i) => trackResource(album, t, i)),
      );
    }
    if (req.method === 'POST' && url.pathname === '/api/v1/command') {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { name: string; path: string };
        commands.push(body);
        const id = nextCommand++;
        send(201, {
          id,
          name: body.name,
          commandName: 'Downloaded Albums Scan',
          body: {
            path: body.path,
            importMode: 'auto',
            sendUpdatesToClient: false,
            requiresDiskAccess: true,
            isLongRunning: true,
            name: body.name,
            trigger: 'manual',
          },
          priority: 'normal',
          status: 'queued',
          result: 'unknown',
          queued: new Date().toISOString(),
          trigger: 'manual',
          sendUpdatesToClient: false,
          updateScheduledTask: true,
        });
      });
      return undefined;
    }
    return send(404, { message: 'NotFound' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    requests,
    commands,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
