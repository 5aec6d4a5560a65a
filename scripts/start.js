// @ts-check
// `npm start`: the compiled server (built first when missing or out of date), or, when no build
// can be made, the sources under tsx. The V8 flags come from package.json's script.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureServerBuild } from './server-build.js';

const root = fileURLToPath(new URL('..', import.meta.url));
if (ensureServerBuild(root) === 'source') {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(path.join(root, 'src', 'server.ts')).href);
} else {
  await import(pathToFileURL(path.join(root, 'dist', 'src', 'server.js')).href);
}
