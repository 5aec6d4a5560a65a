import { describe, expect, it } from 'vitest';
import {
  parseCaps,
  parseFeed,
  readError,
  redactApiKey,
  releaseCandidate,
  TorznabDocumentError,
} from './torznab.mapping.js';

const HASH = '0123456789abcdef0123456789abcdef01234567';

/** As Jackett serves it (torznab namespace, enclosure + magneturl, seeders/peers). */
const JACKETT = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="http://torznab.com/schemas/2015/feed">
  <channel>
    <atom:link href="http://127.0.0.1:9117/" rel="self" type="application/rss+xml" />
    <title>RuTracker</title>
    <item>
      <title>Radiohead - OK Computer (1997) [FLAC 24bit-96kHz]</title>
      <guid>https://rutracker.example/forum/viewtopic.php?t=123</guid>
      <jackettindexer id="rutracker">RuTracker</jackettindexer>
      <type>private</type>
      <comments>https://rutracker.example/forum/viewtopic.php?t=123</comments>
      <pubDate>Tue, 03 Mar 2020 10:00:00 +0000</pubDate>
      <size>1234567890</size>
      <link>http://127.0.0.1:9117/dl/rutracker/?jackett_apikey=SECRETKEY&amp;path=abc&amp;file=OK+Computer</link>
      <category>3040</category>
      <category>100040</category>
      <enclosure url="http://127.0.0.1:9117/dl/rutracker/?jackett_apikey=SECRETKEY&amp;path=abc" length="1234567890" type="application/x-bittorrent" />
      <torznab:attr name="category" value="3040" />
      <torznab:attr name="category" value="100040" />
      <torznab:attr name="seeders" value="42" />
      <torznab:attr name="peers" value="50" />
      <torznab:attr name="infohash" value="${HASH.toUpperCase()}" />
      <torznab:attr name="magneturl" value="magnet:?xt=urn:btih:${HASH}&amp;dn=OK+Computer" />
      <torznab:attr name="downloadvolumefactor" value="0" />
    </item>
    <item>
      <title>Radiohead &amp; Friends &#8211; Caf&#233; Sessions [MP3 320]</title>
      <guid>magnet-only</guid>
      <pubDate>not a date</pubDate>
      <torznab:attr name="magneturl" value="magnet:?xt=urn:btih:${HASH}" />
      <torznab:attr name="seeders" value="NaN" />
      <torznab:attr name="peers" value="-3" />
      <torznab:attr name="size" value="1e400" />
    </item>
  </channel>
</rss>`;

/** As Prowlarr serves it: one attr per fact, no magnet, grabs. */
const PROWLARR = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="http://torznab.com/schemas/2015/feed">
  <channel>
    <title>Prowlarr</title>
    <item>
      <title>Radiohead-OK_Computer-WEB-FLAC-1997-GRP</title>
      <guid>https://tracker.example/torrents/55</guid>
      <prowlarrindexer id="3" type="private">Tracker</prowlarrindexer>
      <link>http://127.0.0.1:9696/3/download?apikey=PROWLARRKEY&amp;link=xyz</link>
      <pubDate>Wed, 01 Jan 2025 00:00:00 GMT</pubDate>
      <size>400000000</size>
      <enclosure url="http://127.0.0.1:9696/3/download?apikey=PROWLARRKEY&amp;link=xyz" length="400000000" type="application/x-bittorrent" />
      <torznab:attr name="seeders" value="7" />
      <torznab:attr name="seeders" value="9999" />
      <torznab:attr name="grabs" value="120" />
      <torznab:attr name="peers" value="8" />
      <torznab:attr name="category" value="3000" />
    </item>
  </channel>
</rss>`;

/** As NZBHydra / a Newznab indexer serves it: newznab namespace, usenetdate, response total. */
const NZBHYDRA = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:newznab="http://www.newznab.com/DTD/2010/feeds/attributes/">
  <channel>
    <title>NZBHydra2</title>
    <newznab:response offset="0" total="1234"/>
    <item>
      <title>Radiohead - OK Computer (1997) [MP3 V0]</title>
      <guid isPermaLink="false">hydra-4711</guid>
      <link>http://127.0.0.1:5076/getnzb/api/4711?apikey=HYDRAKEY</link>
      <pubDate>Sat, 01 Feb 2025 12:00:00 +0000</pubDate>
      <enclosure url="http://127.0.0.1:5076/getnzb/api/4711?apikey=HYDRAKEY" length="98765432" type="application/x-nzb"/>
      <newznab:attr name="category" value="3000"/>
      <newznab:attr name="category" value="3010"/>
      <newznab:attr name="size" value="98765432"/>
      <newznab:attr name="grabs" value="15"/>
      <newznab:attr name="usenetdate" value="Fri, 31 Jan 2025 08:00:00 +0000"/>
    </item>
    <item><guid>no-title</guid><link>http://127.0.0.1/x.nzb</link></item>
    <item><title>   </title><link>http://127.0.0.1/y.nzb</link></item>
    <item><title>Radiohead - Bad Link</title><link>javascript:alert(1)</link></item>
    <item>plain text item</item>
    <item><title>Radiohead - No Link At All</title></item>
  </channel>
</rss>`;

describe('parseFeed: real-looking documents', () => {
  const cases = [
    {
      name: 'Jackett, with enclosure, magnet and hostile numbers',
      xml: JACKETT,
      protocol: 'torrent' as const,
      skipped: 0,
      releases: [
        {
          title: 'Radiohead - OK Computer (1997) [FLAC 24bit-96kHz]',
          guid: 'https://rutracker.example/forum/viewtopic.php?t=123',
          link: 'http://127.0.0.1:9117/dl/rutracker/?jackett_apikey=SECRETKEY&path=abc',
          size: 1_234_567_890,
          seeders: 42,
          peers: 50,
          infohash: HASH,
          publishedAt: Date.UTC(2020, 2, 3, 10),
          categories: [3040, 100040],
        },
        {
          title: 'Radiohead & Friends – Café Sessions [MP3 320]',
          guid: 'magnet-only',
          link: `magnet:?xt=urn:btih:${HASH}`,
          size: 0,
          infohash: HASH,
          categories: [],
        },
      ],
    },
    {
      name: 'Prowlarr, a repeated attribute keeps its first value',
      xml: PROWLARR,
      protocol: 'torrent' as const,
      skipped: 0,
      releases: [
        {
          title: 'Radiohead-OK_Computer-WEB-FLAC-1997-GRP',
          guid: 'https://tracker.example/torrents/55',
          link: 'http://127.0.0.1:9696/3/download?apikey=PROWLARRKEY&link=xyz',
          size: 400_000_000,
          seeders: 7,
          peers: 8,
          grabs: 120,
          publishedAt: Date.UTC(2025, 0, 1),
          categories: [3000],
        },
      ],
    },
    {
      name: 'NZBHydra, broken items skipped and counted',
      xml: NZBHYDRA,
      protocol: 'usenet' as const,
      skipped: 5,
      total: 1234,
      releases: [
        {
          title: 'Radiohead - OK Computer (1997) [MP3 V0]',
          guid: 'hydra-4711',
          link: 'http://127.0.0.1:5076/getnzb/api/4711?apikey=HYDRAKEY',
          size: 98_765_432,
          grabs: 15,
          publishedAt: Date.UTC(2025, 0, 31, 8),
          categories: [3000, 3010],
        },
      ],
    },
  ];

  it.each(cases)('$name', ({ xml, protocol, releases, skipped, ...rest }) => {
    const page = parseFeed(xml, { indexer: 'ix', protocol });
    expect(page.skipped).toBe(skipped);
    expect(page.items).toBe(releases.length + skipped);
    if ('total' in rest) expect(page.total).toBe(rest.total);
    expect(page.releases).toEqual(releases.map((r) => ({ protocol, indexer: 'ix', ...r })));
  });

  it('reads an empty channel as no releases', () => {
    const page = parseFeed('<rss><channel><title>x</title></channel></rss>', {
      indexer: 'ix',
      protocol: 'torrent',
    });
    expect(page).toEqual({ releases: [], skipped: 0, items: 0 });
  });

  it.each([
    ['not XML', 'this is <not xml'],
    ['HTML login page', '<html><body><form>login</form></body></html>'],
    ['empty', ''],
  ])('refuses a document that is no feed: %s', (_, xml) => {
    expect(() => parseFeed(xml, { indexer: 'ix', protocol: 'torrent' })).toThrow(
      TorznabDocumentError,
    );
  });

  it('does not expand entity bombs', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">${Array.from(
      { length: 8 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
    ).join(
      '',
    )}]><rss><channel><item><title>&lol8;</title><link>http://127.0.0.1/a</link></item></channel></rss>`;
    let page: ReturnType<typeof parseFeed> | undefined;
    try {
      page = parseFeed(lol, { indexer: 'ix', protocol: 'torrent' });
    } catch (error) {
      expect(error).toBeInstanceOf(TorznabDocumentError);
    }
    for (const release of page?.releases ?? [])
      expect(release.title.length).toBeLessThanOrEqual(500);
  });

  it('caps titles and strips control characters', () => {
    const xml = `<rss><channel><item><title>A\u0007B\u202e${'x'.repeat(2000)}</title><link>http://127.0.0.1/a</link></item></channel></rss>`;
    const [release] = parseFeed(xml, { indexer: 'ix', protocol: 'torrent' }).releases;
    expect(release?.title.startsWith('A B x')).toBe(true);
    expect(release?.title.length).toBe(500);
  });

  it('survives 2,000 items with every field garbled, keeping the usable ones', () => {
    const items = Array.from({ length: 2000 }, (_, i) =>
      i % 2 === 0
        ? `<item><title>T${i}</title><link>http://127.0.0.1/${i}</link><torznab:attr name="seeders" value="${'9'.repeat(i % 40)}"/></item>`
        : `<item><title><b>x</b></title><enclosure/><torznab:attr/><size>-1</size></item>`,
    );
    const page = parseFeed(`<rss><channel>${items.join('')}</channel></rss>`, {
      indexer: 'ix',
      protocol: 'torrent',
    });
    expect(page.releases).toHaveLength(1000);
    expect(page.skipped).toBe(1000);
    for (const r of page.releases) {
      if (r.seeders !== undefined) expect(r.seeders).toBeLessThanOrEqual(1e9);
    }
  });
});

describe('parseCaps', () => {
  it('reads Jackett caps: music search with its parameters, categories and limits', () => {
    const caps = parseCaps(`<?xml version="1.0" encoding="UTF-8"?>
<caps>
  <server title="Jackett" />
  <limits default="100" max="500" />
  <searching>
    <search available="yes" supportedParams="q" />
    <tv-search available="yes" supportedParams="q,season,ep" />
    <music-search available="yes" supportedParams="q,artist,album,label,year" />
    <audio-search available="no" supportedParams="q" />
  </searching>
  <categories>
    <category id="3000" name="Audio">
      <subcat id="3010" name="Audio/MP3" />
      <subcat id="3040" name="Audio/Lossless" />
    </category>
    <category id="100040" name="Lossless" />
  </categories>
</caps>`);
    expect(caps).toEqual({
      search: { available: true, supportedParams: ['q'] },
      musicSearch: { available: true, supportedParams: ['q', 'artist', 'album', 'label', 'year'] },
      categories: [
        { id: 3000, name: 'Audio' },
        { id: 3010, name: 'Audio/MP3' },
        { id: 3040, name: 'Audio/Lossless' },
        { id: 100040, name: 'Lossless' },
      ],
      limits: { max: 500, default: 100 },
    });
  });

  it('reads a caps without music search as plain search only', () => {
    const caps = parseCaps(
      '<caps><searching><search available="yes" supportedParams="q"/><music-search available="no"/></searching></caps>',
    );
    expect(caps.musicSearch.available).toBe(false);
    expect(caps.search.available).toBe(true);
    expect(caps.limits).toEqual({});
  });

  it('refuses a document without caps', () => {
    expect(() => parseCaps('<rss/>')).toThrow(TorznabDocumentError);
  });
});

describe('readError', () => {
  it.each([
    [
      '<error code="100" description="Incorrect user credentials"/>',
      { code: 100, description: 'Incorrect user credentials' },
    ],
    [
      '<?xml version="1.0"?><error code="500" description="Request limit reached"/>',
      { code: 500, description: 'Request limit reached' },
    ],
    ['<error code="x"/>', { code: 0, description: '' }],
    ['<rss><channel/></rss>', null],
  ])('%s', (xml, expected) => expect(readError(xml)).toEqual(expected));
});

describe('releaseCandidate', () => {
  it('makes a release the candidate of its download client, the title its facts', () => {
    const [release] = parseFeed(JACKETT, { indexer: 'rutracker', protocol: 'torrent' }).releases;
    const candidate = releaseCandidate(release!, 'qbittorrent');
    expect(candidate).toEqual({
      provider: 'qbittorrent',
      username: 'rutracker',
      filename: 'Radiohead - OK Computer (1997) [FLAC 24bit-96kHz]',
      size: 1_234_567_890,
      extension: 'flac',
      bitDepth: 24,
      sampleRate: 96_000,
      hasFreeUploadSlot: true,
      queueLength: 0,
      uploadSpeed: 0,
      release,
    });
  });

  it('takes the format from a category when the title names none; no seeders, no free slot', () => {
    const release = {
      protocol: 'torrent' as const,
      indexer: 'ix',
      guid: 'g',
      title: 'Radiohead - OK Computer',
      link: 'http://127.0.0.1/a',
      size: 1,
      seeders: 0,
      categories: [3040],
    };
    const candidate = releaseCandidate(release, 'qbittorrent');
    expect(candidate.extension).toBe('flac');
    expect(candidate.hasFreeUploadSlot).toBe(false);
    const usenet = releaseCandidate({ ...release, protocol: 'usenet', categories: [] }, 'nzbget');
    expect(usenet.extension).toBe('');
    expect(usenet.hasFreeUploadSlot).toBe(true);
  });
});

describe('redactApiKey', () => {
  it('takes the key out of query strings and anywhere it is echoed', () => {
    const text =
      'http://ix/api?t=caps&apikey=abc123XYZ&cat=3000: the indexer said "bad key abc123XYZ"';
    const out = redactApiKey(text, 'abc123XYZ');
    expect(out).not.toContain('abc123XYZ');
    expect(out).toContain('apikey=[redacted]&cat=3000');
  });
});
