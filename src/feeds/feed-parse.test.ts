import { describe, expect, it } from 'vitest';
import { decodeEntities, parseFeed, MAX_ENTRIES } from './feed-parse.js';

const rss = (items: string, extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed" ${extra}><channel><title>T</title>${items}</channel></rss>`;
const atom = (entries: string) =>
  `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>${entries}</feed>`;

function entries(xml: string) {
  const parsed = parseFeed(xml);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.entries;
}

describe('parseFeed: formats', () => {
  const cases: { name: string; xml: string; want: Record<string, unknown> }[] = [
    {
      name: 'RSS 2.0 item with guid, link, pubDate',
      xml: rss(
        '<item><title>Boards of Canada - Tomorrow&apos;s Harvest (2013) [FLAC]</title><guid isPermaLink="false">abc-1</guid><link>https://example.org/r/1</link><pubDate>Mon, 10 Jun 2013 00:00:00 GMT</pubDate></item>',
      ),
      want: {
        id: 'abc-1',
        title: "Boards of Canada - Tomorrow's Harvest (2013) [FLAC]",
        link: 'https://example.org/r/1',
        publishedAt: Date.UTC(2013, 5, 10),
      },
    },
    {
      name: 'RSS without guid: the link is the id',
      xml: rss('<item><title>A - B</title><link>https://example.org/b</link></item>'),
      want: { id: 'https://example.org/b', publishedAt: null },
    },
    {
      name: 'RSS without guid or link: title and date',
      xml: rss('<item><title>A - B</title></item>'),
      want: { id: 'A - B|', link: null },
    },
    {
      name: 'Torznab item: enclosure and torznab:attr (ignored)',
      xml: rss(
        '<item><title>Artist - Album [FLAC]</title><guid>https://idx/details/9</guid><enclosure url="https://idx/dl/9.torrent" length="123456" type="application/x-bittorrent"/><torznab:attr name="seeders" value="5"/></item>',
      ),
      want: {
        id: 'https://idx/details/9',
        enclosure: {
          url: 'https://idx/dl/9.torrent',
          length: 123456,
          type: 'application/x-bittorrent',
        },
      },
    },
    {
      name: 'CDATA title',
      xml: rss(
        '<item><title><![CDATA[Sigur Rós - Ágætis byrjun <3]]></title><guid>x</guid></item>',
      ),
      want: { title: 'Sigur Rós - Ágætis byrjun <3' },
    },
    {
      name: 'Atom entry: id, alternate link, enclosure link, published',
      xml: atom(
        '<entry><id>tag:label,2024:1</id><title>Label Act - New Record</title><link rel="alternate" href="https://label.example/1"/><link rel="enclosure" href="https://label.example/1.zip" length="99"/><published>2024-03-01T12:00:00Z</published></entry>',
      ),
      want: {
        id: 'tag:label,2024:1',
        link: 'https://label.example/1',
        enclosure: { url: 'https://label.example/1.zip', length: 99, type: null },
        publishedAt: Date.UTC(2024, 2, 1, 12),
      },
    },
    {
      name: 'Atom html title: tags dropped, entities decoded, never markup',
      xml: atom(
        '<entry><id>h</id><title type="html">&lt;b&gt;Act&lt;/b&gt; - Rec &amp;amp; more &lt;script&gt;x&lt;/script&gt;</title><updated>2024-01-01T00:00:00Z</updated></entry>',
      ),
      want: { title: 'Act - Rec & more x', publishedAt: Date.UTC(2024, 0, 1) },
    },
    {
      name: 'Atom link without rel is the alternate; javascript: links dropped',
      xml: atom('<entry><id>j</id><title>A - B</title><link href="javascript:alert(1)"/></entry>'),
      want: { link: null },
    },
    {
      name: 'RSS 1.0 (RDF)',
      xml: '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel><item rdf:about="https://r/1"><title>X - Y</title><link>https://r/1</link></item></rdf:RDF>',
      want: { id: 'https://r/1', title: 'X - Y' },
    },
  ];
  it.each(cases)('$name', ({ xml, want }) => {
    const [entry] = entries(xml);
    expect(entry).toMatchObject(want);
  });
});

describe('parseFeed: hostile and broken input never throws', () => {
  const refusals: { name: string; xml: string; reason: RegExp }[] = [
    { name: 'empty', xml: '', reason: /neither|not/ },
    { name: 'not XML', xml: '{"json": true}', reason: /neither|not/ },
    { name: 'HTML page', xml: '<html><body>hi</body></html>', reason: /neither RSS nor Atom/ },
    {
      name: 'rss without channel',
      xml: '<rss version="2.0"></rss>',
      reason: /without a <channel>/,
    },
    { name: 'unclosed tags', xml: '<rss><channel><item><title>x', reason: /./ },
    {
      name: 'nesting too deep',
      xml: `<rss><channel>${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}</channel></rss>`,
      reason: /./,
    },
  ];
  it.each(refusals)('$name', ({ xml, reason }) => {
    const parsed = parseFeed(xml);
    if (parsed.ok) {
      // Some broken documents still read as a feed: then without made-up entries.
      expect(parsed.entries.every((e) => e.title.length > 0)).toBe(true);
    } else expect(parsed.reason).toMatch(reason);
  });

  it('does not expand DOCTYPE entities (billion laughs)', () => {
    const lol = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><rss><channel><item><title>&lol9; - x</title><guid>1</guid></item></channel></rss>`;
    const started = performance.now();
    const parsed = parseFeed(lol);
    expect(performance.now() - started).toBeLessThan(2000);
    if (parsed.ok) expect(parsed.entries[0]?.title.length ?? 0).toBeLessThan(100);
  });

  it('drops entries without a title, keeps the rest', () => {
    const list = entries(
      rss('<item><guid>1</guid></item><item><title>A - B</title><guid>2</guid></item>'),
    );
    expect(list.map((e) => e.id)).toEqual(['2']);
  });

  it('reads at most MAX_ENTRIES entries', () => {
    const items = Array.from(
      { length: MAX_ENTRIES + 50 },
      (_, i) => `<item><title>A - ${i}</title><guid>${i}</guid></item>`,
    ).join('');
    expect(entries(rss(items))).toHaveLength(MAX_ENTRIES);
  });

  it('keeps control characters and lone surrogates out of text, clips long titles', () => {
    const list = entries(
      rss(`<item><title>A&#1;B &#xD800; C${'x'.repeat(5000)}</title><guid>&#0;</guid></item>`),
    );
    expect(list[0]?.title.startsWith('A B \uFFFD C')).toBe(true);
    expect(list[0]?.title.length).toBe(1000);
    expect(list[0]?.id).toBe('\uFFFD');
  });

  it('an unreadable date is null, not an error', () => {
    expect(
      entries(
        rss('<item><title>A - B</title><guid>1</guid><pubDate>yesterday-ish</pubDate></item>'),
      )[0]?.publishedAt,
    ).toBeNull();
  });
});

describe('decodeEntities', () => {
  it.each([
    ['&lt;&gt;&amp;&quot;&apos;', `<>&"'`],
    ['&#233;&#xE9;', 'éé'],
    ['&nbsp;&unknown;', '&nbsp;&unknown;'],
    ['&#x110000;', '\uFFFD'],
    ['&amp;lt;', '&lt;'],
  ])('%s → %s', (input, output) => expect(decodeEntities(input)).toBe(output));
});
