/**
 * Indexers put their API key in the links they hand out (Prowlarr `download?apikey=…`, Jackett
 * `jackett_apikey=…`, most Newznab sites `&r=` or `&apikey=`). A link is needed whole to fetch a
 * release, but it must never reach a message a user, a webhook or the blocklist sees. Pure.
 */

/** A link as messages may show it: its origin and path, without the query or credentials. */
export function linkForMessages(link: string): string {
  try {
    const url = new URL(link);
    return `${url.origin}${url.pathname}`;
  } catch {
    return '(an unparseable link)';
  }
}

/**
 * Every http(s) URL in a text cut to its origin and path: a backstop for messages built from
 * errors that quote the URL they failed on (safe-fetch's, Node's).
 */
export function redactUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>)]+/gi, (url) => linkForMessages(url));
}
