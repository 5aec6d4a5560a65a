import type { DownloadDto } from '../src/downloads/download.dto.js';
import { postAlbum, type UsenetAlbum } from '../test/helpers/daemons/nzb.js';
import { startInn, startNzbget } from '../test/helpers/daemons/usenet.js';
import { startIndexerServer } from '../test/helpers/indexer-server.js';
import { startStack } from '../test/helpers/stack.js';
import { sleep } from '../test/helpers/wait.js';
import { percentile } from './setup.js';

const ARTIST = 'Fallback Bench';
const ALBUMS = ['First Post', 'Second Post', 'Third Post', 'Fourth Post'];
const POLL_MS = 5;

export interface FallbackFigure {
  measure: string;
  tracks: number;
  'p50 ms': number;
  'p99 ms': number;
  'max ms': number;
}

/**
 * "No usable Soulseek result" to the next provider's first byte: tracks nobody shares on
 * Soulseek (the slskd emulator answers their searches with nothing, after its 1 s search
 * window), found on a loopback Newznab indexer and fetched by a real NZBGet from a private INN,
 * one at a time. Timed from the moment slskd's search state became Completed (the emulator
 * logs it) to the NZB job at NZBGet (the attempt's start), to the first byte SoulSpot reports
 * (bytes transferred above 0, or the download already past downloading: a 400 kB track can
 * arrive between two polls of NZBGet), and to the filed file.
 */
export async function fallbackBench(): Promise<FallbackFigure[]> {
  const inn = await startInn();
  const albums: UsenetAlbum[] = [];
  const nzbget = await startNzbget({ nntpPort: inn.port });
  for (const album of ALBUMS) albums.push(await postAlbum(inn, { artist: ARTIST, album }));
  const indexer = await startIndexerServer({
    dialect: 'newznab',
    apiKey: 'bench-newznab-key',
    releases: albums.map((a, i) => {
      a.nzbs.put('album.nzb', a.whole());
      return {
        title: `${ARTIST} - ${a.album} (2024) [FLAC]`,
        guid: `album-${i}`,
        artist: ARTIST,
        album: a.album,
        size: 1_200_000,
        categories: [3040],
        link: a.nzbs.url('album.nzb'),
      };
    }),
  });
  const stack = await startStack({
    users: [{ username: 'someone', files: [] }],
    env: {
      SOULSPOT_INDEXERS: JSON.stringify([
        {
          id: 'news',
          url: indexer.apiUrl,
          apiKey: 'bench-newznab-key',
          protocol: 'usenet',
          clientId: 'nzbget',
          allowPrivateAddress: true,
        },
      ]),
      SOULSPOT_DOWNLOAD_CLIENTS: JSON.stringify([
        {
          type: 'nzbget',
          url: nzbget.url,
          username: nzbget.username,
          password: nzbget.password,
          downloadsDir: nzbget.destDir,
          allowPrivateIndexerLinks: true,
        },
      ]),
    },
  });
  const toJob: number[] = [];
  const toByte: number[] = [];
  const toFiled: number[] = [];
  try {
    for (const album of albums) {
      for (const track of album.tracks) {
        const searchesBefore = stack.emulator.searchLog.length;
        const created = await stack.api<DownloadDto>('POST', '/api/downloads', {
          artist: ARTIST,
          title: track.title,
          album: album.album,
          durationSeconds: 4,
        });
        if (created.status !== 201) throw new Error(`POST answered ${created.status}`);
        const id = created.body.id;
        let firstByte: number | null = null;
        let done: DownloadDto | null = null;
        const deadline = Date.now() + 60_000;
        while (done === null) {
          if (Date.now() > deadline) throw new Error(`download ${id} did not finish in 60 s`);
          const d = (await stack.api<DownloadDto>('GET', `/api/downloads/${id}`)).body;
          const past = d.status === 'processing' || d.status === 'completed';
          if (firstByte === null && (d.bytesTransferred > 0 || past)) firstByte = Date.now();
          if (d.status === 'completed') done = d;
          else if (d.status === 'failed') throw new Error(`${d.errorCode}: ${d.errorMessage}`);
          else await sleep(POLL_MS);
        }
        const filed = Date.now();
        const search = stack.emulator.searchLog
          .slice(searchesBefore)
          .find((s) => s.searchText.includes(track.title) && s.completedAt !== undefined);
        const nothingAt = search?.completedAt;
        const attempt = done.attempts.find((a) => a.outcome === 'succeeded');
        if (nothingAt === undefined || attempt === undefined)
          throw new Error(`no slskd search or attempt recorded for ${track.title}`);
        toJob.push(Date.parse(attempt.startedAt) - nothingAt);
        toByte.push(firstByte! - nothingAt);
        toFiled.push(filed - nothingAt);
      }
    }
  } finally {
    await stack.close();
    await Promise.allSettled([nzbget.stop(), indexer.close(), ...albums.map((a) => a.close())]);
    await inn.stop();
  }
  const figure = (measure: string, values: number[]): FallbackFigure => {
    const sorted = [...values].sort((a, b) => a - b);
    return {
      measure,
      tracks: sorted.length,
      'p50 ms': Math.round(percentile(sorted, 50)),
      'p99 ms': Math.round(percentile(sorted, 99)),
      'max ms': Math.round(sorted.at(-1) ?? 0),
    };
  };
  return [
    figure('slskd found nothing → NZB job at NZBGet', toJob),
    figure('slskd found nothing → first byte (as SoulSpot reports it)', toByte),
    figure('slskd found nothing → filed', toFiled),
  ];
}
