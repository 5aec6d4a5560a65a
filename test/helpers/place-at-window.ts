// A child process for move.test.ts: files a track on a "filesystem without hard links" (link()
// fails with EPERM) and stops for good at the placement window, where the parent kills it -9.
// argv: source library when(before-rename|after-rename) ...segments
import { rename } from 'node:fs/promises';
import { placeIntoLibrary } from '../../src/library/move.js';

const [source, library, when, ...segments] = process.argv.slice(2);
const forever = () => new Promise<never>(() => setInterval(() => undefined, 60_000));
const noLink = async (): Promise<void> => {
  const error: NodeJS.ErrnoException = new Error('link not supported');
  error.code = 'EPERM';
  throw error;
};
await placeIntoLibrary(source as string, library as string, segments, {
  fs: {
    link: noLink,
    async rename(from, to) {
      if (when === 'after-rename') await rename(from, to);
      process.stdout.write('window\n');
      await forever();
    },
  },
});
