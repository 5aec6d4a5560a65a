/**
 * Remote path mappings, as in Lidarr: a download client that runs elsewhere (a container, another
 * host) names its files by its own paths (`/downloads/Album`), which SoulSpot sees elsewhere
 * (`/mnt/dl/Album`). Pure.
 */
export interface PathMapping {
  /** The folder as the client names it, e.g. `/downloads`. */
  remote: string;
  /** The same folder as SoulSpot sees it, e.g. `/mnt/dl`. */
  local: string;
}

/** Both separators, so a Windows client's `D:\dl` maps too; no trailing separator. */
function folderOf(path: string): string {
  return path.replaceAll('\\', '/').replace(/\/+$/, '');
}

/**
 * The local path of a path the client reported: the longest mapping whose remote folder contains
 * it is applied (a mapping matches whole path segments only: `/downloads` does not map
 * `/downloads2/x`); no mapping matches → the path unchanged.
 */
export function toLocalPath(remotePath: string, mappings: readonly PathMapping[]): string {
  const path = folderOf(remotePath);
  let best: PathMapping | undefined;
  for (const m of mappings) {
    const remote = folderOf(m.remote);
    if (path !== remote && !path.startsWith(`${remote}/`)) continue;
    if (!best || remote.length > folderOf(best.remote).length) best = m;
  }
  if (!best) return remotePath;
  return folderOf(best.local) + path.slice(folderOf(best.remote).length);
}

/** The reverse, for a path SoulSpot hands the client (a save path): the longest local folder wins. */
export function toRemotePath(localPath: string, mappings: readonly PathMapping[]): string {
  return toLocalPath(
    localPath,
    mappings.map((m) => ({ remote: m.local, local: m.remote })),
  );
}
