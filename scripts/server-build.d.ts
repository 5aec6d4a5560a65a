// Types of server-build.js (plain JavaScript: it runs before there is a build).
export type ServerBuildState = { state: 'current' } | { state: 'stale'; reason: string };
export function serverBuildState(root: string): ServerBuildState;
export function ensureServerBuild(
  root: string,
  print?: (line: string) => void,
): 'current' | 'built' | 'source';
